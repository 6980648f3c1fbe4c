"""A sweep's folder: where its manifest, its log, its controls and its runs are.

```
DIR/                           the sweep (`--workspace DIR`; default workspaces/sweep-<time>-<hex>)
  sweep.json                   the manifest: the cards, the choices, each card's run folder
  demo-<time>-<hex>/           an ordinary run's workspace, one per card (made when it starts)
  ycsb-c-read-only-<time>-<hex>/
  .sweep/
    cards/01-demo.yaml         the cards as they were when the sweep was made
    events.jsonl               the sweep's own log: stints, launches, ends, controls
    control/                   the sweep's control inbox (`jitskit control DIR pause`)
    sweep.lock                 held (flock) by the live sweep process
    eval.lock, eval-queue/     the evaluation turns of its runs on one host
```
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jitskit_tui.engine.workspace import LockInfo, PathLock, lock_holder
from jitskit_tui.paths import workspaces_root

MANIFEST = "sweep.json"
STATE_DIR = ".sweep"


class SweepError(Exception):
    """A sweep cannot be made, found or used (with what to do)."""


@dataclass(frozen=True)
class SweepFolder:
    root: Path

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def cards(self) -> Path:
        return self.state / "cards"

    @property
    def events(self) -> Path:
        return self.state / "events.jsonl"

    @property
    def control(self) -> Path:
        return self.state / "control"

    @property
    def lock_file(self) -> Path:
        return self.state / "sweep.lock"

    @property
    def turns(self) -> Path:
        """The evaluation turns of its runs (see :mod:`jitskit_tui.sandbox.turns`)."""
        return self.state

    def exists(self) -> bool:
        return self.manifest.is_file()

    def live(self) -> LockInfo | None:
        """The live sweep process, when one holds the sweep."""
        try:
            return lock_holder(self.lock_file)
        except OSError:
            return None

    def lock(self) -> PathLock:
        return PathLock(
            self.lock_file,
            busy=lambda who: (
                f"{self.root}: the sweep is live ({who} runs it); control it with "
                f"`jitskit control {self.root} pause|resume|stop`"
            ),
        )


def is_sweep(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def find_sweep(name: str, base: Path | None = None) -> SweepFolder:
    """A sweep named by its folder, or by its name under `workspaces/`."""
    path = Path(name)
    if is_sweep(path):
        return SweepFolder(path)
    named = (base or workspaces_root()) / name
    if is_sweep(named):
        return SweepFolder(named)
    if path.is_dir():
        raise SweepError(f"{path}: not a sweep (no {MANIFEST} in it)")
    raise SweepError(f"no sweep named {name!r} (looked for a folder, and in {named.parent}/)")


def sweep_named(name: str, base: Path | None = None) -> SweepFolder | None:
    """The sweep ``name`` names (a folder, or a name under `workspaces/`), or ``None``
    when it names no sweep (a run, say)."""
    try:
        return find_sweep(name, base)
    except SweepError:
        return None


def sweep_of(run_root: Path) -> SweepFolder | None:
    """The sweep a run's workspace belongs to, if it is one of a sweep's runs."""
    parent = run_root.resolve().parent
    return SweepFolder(parent) if is_sweep(parent) else None


def new_sweep_folder(given: Path | None, base: Path | None = None) -> SweepFolder:
    """``given`` (it must not exist, or be empty), else a fresh
    `workspaces/sweep-<UTC time>-<4 hex>`."""
    if given is not None:
        if given.exists() and (not given.is_dir() or any(given.iterdir())):
            hint = (
                f"; resume that sweep with `jitskit sweep --resume {given}`"
                if is_sweep(given)
                else ""
            )
            raise SweepError(f"{given}: already exists and is not empty; give a new folder{hint}")
        given.mkdir(parents=True, exist_ok=True)
        return SweepFolder(given)
    where = base or workspaces_root()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for _ in range(64):
        path = where / f"sweep-{stamp}-{secrets.token_hex(2)}"
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            continue
        return SweepFolder(path)
    raise SweepError(f"{where}: could not find a free sweep folder name")
