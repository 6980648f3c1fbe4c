"""A run's workspace: the folder layout, creating one, finding one by name, its lock.

```
workspaces/<spec>-<UTC time>-<4 hex>/     a git repository
  spec.yaml          frozen copy of the card the run was started with
  store/             the candidate (only the coder writes here)
  audit/             the audit suite (only the auditor writes here): tests + suite.yaml
  results/           iteration-N.json, committed with iteration N
  WHITEBOARD.md      designs tried, their numbers, critiques, rejected ideas
  .gitignore         ignores .jitskit/
  .jitskit/          run state that is not source
    events.jsonl     the event log
    control/         the control inbox (JSON files dropped by `jitskit control`)
    logs/            build, gate and benchmark output per iteration
    run.lock         held (flock) by the live engine; holds its pid
```
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jitskit_tui.paths import workspaces_root

STATE_DIR = ".jitskit"


class WorkspaceError(Exception):
    """A workspace cannot be found, created or used (with what to do about it)."""


@dataclass(frozen=True)
class Workspace:
    """The paths of one run's workspace."""

    root: Path

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def ref(self) -> str:
        """How to name the run on a command line: its name under `workspaces/`, else its path."""
        try:
            if self.root.resolve().parent == workspaces_root().resolve():
                return self.name
        except OSError:
            pass
        return str(self.root)

    @property
    def spec_file(self) -> Path:
        return self.root / "spec.yaml"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def audit(self) -> Path:
        return self.root / "audit"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def whiteboard(self) -> Path:
        return self.root / "WHITEBOARD.md"

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def events(self) -> Path:
        return self.state / "events.jsonl"

    @property
    def control(self) -> Path:
        return self.state / "control"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def lock_file(self) -> Path:
        return self.state / "run.lock"

    def result_file(self, iteration: int) -> Path:
        return self.results / f"iteration-{iteration}.json"

    def exists(self) -> bool:
        return self.events.is_file()


def new_workspace_dir(spec_name: str, base: Path | None = None) -> Path:
    """A fresh, empty directory `<base>/<spec>-<UTC time>-<4 hex>`; never shared, even by
    two runs started in the same second."""
    base = base or workspaces_root()
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for _ in range(64):
        path = base / f"{spec_name}-{stamp}-{secrets.token_hex(2)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise WorkspaceError(f"{base}: could not find a free workspace name for {spec_name}")


def find_workspace(run: str, base: Path | None = None) -> Workspace:
    """A run named by path, by name under `workspaces/`, or by a unique name prefix."""
    base = base or workspaces_root()
    candidate = Path(run)
    if (candidate / STATE_DIR / "events.jsonl").is_file():
        return Workspace(candidate)
    if os.sep in run or run in (".", ".."):
        if candidate.exists():
            raise WorkspaceError(
                f"{candidate}: not a jitskit workspace (no {STATE_DIR}/events.jsonl in it)"
            )
        raise WorkspaceError(f"{candidate}: no such workspace; `jitskit runs` lists the runs")
    named = base / run
    if (named / STATE_DIR / "events.jsonl").is_file():
        return Workspace(named)
    matches = sorted(p for p in list_workspace_dirs(base) if p.name.startswith(run))
    if len(matches) == 1:
        return Workspace(matches[0])
    if not matches:
        raise WorkspaceError(
            f"no run named {run!r} (looked for a workspace path and in {base}/); "
            "`jitskit runs` lists the runs"
        )
    shown = ", ".join(p.name for p in matches[:5])
    raise WorkspaceError(f"{run!r} matches {len(matches)} runs ({shown}); give more of the name")


def list_workspace_dirs(base: Path | None = None) -> list[Path]:
    base = base or workspaces_root()
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / STATE_DIR / "events.jsonl").is_file())


# -- the run lock ----------------------------------------------------------------------


@dataclass(frozen=True)
class LockInfo:
    pid: int
    host: str
    started: float


def _read_lock(path: Path) -> LockInfo | None:
    try:
        data = json.loads(path.read_text())
        return LockInfo(
            pid=int(data["pid"]), host=str(data["host"]), started=float(data["started"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


class PathLock:
    """A live process's claim on a folder: an exclusive `flock` on a lock file that holds
    its pid and host.

    The kernel drops the lock when the process dies (kill -9 included), so a lock file
    left behind by a dead process is simply taken over.
    """

    def __init__(self, path: Path, busy: Callable[[str], str]) -> None:
        self.path = path
        self._busy = busy
        """The refusal's words, given who holds the lock."""
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = _read_lock(self.path)
            who = f"process {info.pid} on {info.host}" if info else "another process"
            raise WorkspaceError(self._busy(who)) from None
        mine = json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, mine.encode(), 0)
        self._fd = fd

    def release(self) -> None:
        # The file stays (unlinking it could let two later holders lock two different
        # inodes); an unlocked, empty lock file means no process is live.
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


class RunLock(PathLock):
    """The live engine's claim on a workspace: `.jitskit/run.lock`."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(
            workspace.lock_file,
            lambda who: (
                f"{workspace.root}: the run is live ({who} holds it); steer it with "
                "`jitskit control`, or stop it before resuming"
            ),
        )


def lock_holder(lock_file: Path) -> LockInfo | None:
    """The pid and host of the live process holding ``lock_file``, else ``None``."""
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_lock(lock_file) or LockInfo(pid=0, host="?", started=0.0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def live_engine(workspace: Workspace) -> LockInfo | None:
    """The live engine's pid and host when one holds the workspace, else ``None``."""
    return lock_holder(workspace.lock_file)
