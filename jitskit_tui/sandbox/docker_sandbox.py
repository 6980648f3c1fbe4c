"""One evaluation's container on a Docker host.

Layout: a read-only root from the benchmark image; ``/work`` and (when asked) ``/data``
are per-evaluation named volumes; ``/tmp`` is a small tmpfs. ``/work`` is a volume
rather than a tmpfs because the daemon refuses archive uploads into a tmpfs under a
read-only root; a volume also keeps build output out of the memory limit. PID 1 is
``docker-init`` with ``sleep`` as root (with every capability dropped); commands run as
the sandbox user, so killing all of that user's processes never takes PID 1 with it.

A command that runs the store (``access="store"``) runs as a second user, which owns
nothing in ``/work``: the working folder, the harness's binaries included, is read-only
to it, and it writes only ``/data`` (opened to it when the container starts) and
``/tmp`` (emptied before each such command, so nothing passes from one run of the store
to the next).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import docker
import docker.errors

from jitskit_tui.machine.recipe import SANDBOX_GID, SANDBOX_UID
from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access
from jitskit_tui.sandbox.base import (
    EvalSandbox,
    LimitsApplied,
    MachineError,
    RunResult,
    StdoutLine,
)
from jitskit_tui.sandbox.docker_archive import extract_archive, tar_directory, volume_root
from jitskit_tui.sandbox.docker_connect import Connection, in_thread
from jitskit_tui.sandbox.docker_exec import run_exec, run_short

_log = logging.getLogger(__name__)
SANDBOX_USER = f"{SANDBOX_UID}:{SANDBOX_GID}"
STORE_UID = SANDBOX_UID + 1
"""The user store commands run as: not in the image's passwd, owner of nothing there."""
STORE_USER = f"{STORE_UID}:{STORE_UID}"
ROOT_USER = "0:0"
_USER_FOR: dict[Access, str] = {"store": STORE_USER, "build": SANDBOX_USER}
DOWNLOAD_LIMIT_BYTES = 2 << 30
_OOM_COUNTER = re.compile(rb"^oom_kill (\d+)$", re.MULTILINE)
OOM_PROBE = [
    "/bin/sh",
    "-c",
    "cat /sys/fs/cgroup/memory.events 2>/dev/null"
    " || cat /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null",
]


EMPTY_TMP = ["/bin/sh", "-c", f"find {LAYOUT.tmp} -mindepth 1 -delete 2>/dev/null; true"]


def parse_oom_count(text: bytes) -> int | None:
    match = _OOM_COUNTER.search(text)
    return int(match.group(1)) if match else None


class DockerSandbox(EvalSandbox):
    """A running container; every command is an exec in it."""

    def __init__(
        self,
        connection: Connection,
        *,
        container_id: str,
        volumes: Sequence[str],
        mounts: Sequence[str],
        limits_applied: LimitsApplied,
        oom_kills: int | None,
    ) -> None:
        self.connection = connection
        self.container_id = container_id
        self.volumes = tuple(volumes)
        self.mounts = tuple(mounts)
        """The writable volume mounts (``/work``, and ``/data`` when asked for)."""
        self.limits_applied = limits_applied
        self._oom_kills = oom_kills
        self._closed = False
        self._broken: str | None = None
        self._close_task: asyncio.Task[None] | None = None
        self.cleanup_error: MachineError | None = None

    @property
    def label(self) -> str:
        return self.connection.endpoint.label

    def _error(self, exc: BaseException, operation: str) -> MachineError:
        return self.connection.explain(exc, operation)

    def _usable(self, operation: str) -> None:
        if self._closed:
            raise MachineError(
                self.label,
                f"cannot {operation}: the sandbox is closed",
                "open a new sandbox for each evaluation",
            )
        if self._broken:
            raise MachineError(
                self.label,
                f"cannot {operation}: {self._broken}",
                "open a new sandbox; this one was killed",
            )

    # Files --------------------------------------------------------------------------

    async def upload(self, src_dir: Path, dest: str) -> None:
        self._usable(f"upload {src_dir}")
        root, prefix = volume_root(dest, self.mounts, self.label, "upload to")
        if not await in_thread(src_dir.is_dir, name="stat"):
            raise MachineError(
                self.label,
                f"cannot upload {src_dir}: not a directory",
                "pass the directory whose contents go to the sandbox",
            )
        payload = await in_thread(lambda: tar_directory(src_dir, prefix), name="tar")
        operation = f"uploading {src_dir} to {dest}"
        try:
            await in_thread(
                lambda: self.connection.api.put_archive(self.container_id, root, payload),
                name="upload",
            )
        except Exception as exc:
            raise self._error(exc, operation) from exc

    async def download(self, src: str, dest_dir: Path) -> None:
        self._usable(f"download {src}")
        volume_root(src, self.mounts, self.label, "download")
        operation = f"downloading {src}"

        def fetch() -> bytes:
            stream, _stat = self.connection.api.get_archive(self.container_id, src)
            buffer = io.BytesIO()
            for chunk in stream:
                buffer.write(chunk)
                if buffer.tell() > DOWNLOAD_LIMIT_BYTES:
                    raise MachineError(
                        self.label,
                        f"{src} is larger than {DOWNLOAD_LIMIT_BYTES >> 20} MiB",
                        "download a smaller file or directory",
                    )
            return buffer.getvalue()

        try:
            payload = await in_thread(fetch, name="download")
        except docker.errors.NotFound as exc:
            raise MachineError(
                self.label,
                f"{src} does not exist in the sandbox",
                "check the path the command wrote",
            ) from exc
        except MachineError:
            raise
        except Exception as exc:
            raise self._error(exc, operation) from exc
        await in_thread(lambda: extract_archive(payload, dest_dir), name="untar")

    # Commands -----------------------------------------------------------------------

    async def run(
        self,
        argv: Sequence[str],
        *,
        timeout_s: float,
        on_stdout_line: StdoutLine | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str = LAYOUT.work,
        access: Access = "store",
    ) -> RunResult:
        self._usable(f"run {argv[0] if argv else 'nothing'}")
        if not argv:
            raise ValueError("argv is empty")
        user = _USER_FOR[access]
        if access == "store":
            # A private /tmp per run of the store; the data volume is the caller's to reset.
            await in_thread(
                lambda: run_short(
                    self.connection.api, self.container_id, EMPTY_TMP, user=STORE_USER
                ),
                name="empty /tmp",
            )
        loop = asyncio.get_running_loop()
        cancel = threading.Event()
        api = self.connection.api
        emit = None
        if on_stdout_line is not None:
            callback = on_stdout_line

            def emit(line: str) -> None:
                with contextlib.suppress(RuntimeError):  # the loop closed under us
                    loop.call_soon_threadsafe(callback, line)

        merged_env = LAYOUT.env()
        merged_env.update(env or {})

        def kill_processes() -> None:
            run_short(api, self.container_id, ["/bin/sh", "-c", "kill -KILL -1"], user=user)

        def kill_container() -> None:
            api.kill(self.container_id)

        def work() -> RunResult:
            outcome = run_exec(
                api,
                self.container_id,
                argv,
                user=user,
                env=merged_env,
                cwd=cwd,
                timeout_s=timeout_s,
                on_line=emit,
                cancel=cancel,
                kill_processes=kill_processes,
                kill_container=kill_container,
            )
            if outcome.container_killed:
                self._broken = f"its container was killed after `{argv[0]}` ignored SIGKILL"
            code = outcome.exit_code
            sig: int | None = None
            if outcome.timed_out or outcome.cancelled:
                code, sig = None, int(signal.SIGKILL)
            elif code is not None and 128 < code <= 128 + 64:
                sig = code - 128
                code = None
            oom = False
            if not outcome.timed_out and not outcome.cancelled and outcome.exit_code != 0:
                oom = self._oom_happened()
            return RunResult(
                exit_code=code,
                signal=sig,
                timed_out=outcome.timed_out,
                oom_killed=oom,
                stdout=outcome.stdout.decode(errors="replace"),
                stderr=outcome.stderr.decode(errors="replace"),
                wall_s=outcome.wall_s,
            )

        future = asyncio.ensure_future(in_thread(work, name=f"exec {argv[0]}"))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # Kill what the command started before letting the cancellation through.
            cancel.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(future), timeout=3 * 5.0 + 5)
            raise
        except MachineError:
            raise
        except Exception as exc:
            raise self._error(exc, f"running {argv[0]}") from exc

    def _oom_happened(self) -> bool:
        """Whether the container's OOM-kill counter moved since the last look. Blocking."""
        api = self.connection.api
        try:
            _code, text = run_short(api, self.container_id, OOM_PROBE, user=ROOT_USER)
        except docker.errors.APIError:
            text = b""
        count = parse_oom_count(text)
        if count is None:
            # No counter (an unusual cgroup layout): fall back on what Docker recorded.
            try:
                state = api.inspect_container(self.container_id).get("State", {})
            except docker.errors.APIError:
                return False
            return bool(state.get("OOMKilled"))
        previous = self._oom_kills or 0
        self._oom_kills = count
        return count > previous

    # Teardown -----------------------------------------------------------------------

    async def close(self) -> None:
        """Removes the container and volumes. Never raises: a failure to remove is kept in
        :attr:`cleanup_error` and logged, and what is left (labelled) is reaped by the
        next client, so an evaluation's own outcome or exception is never masked."""
        if self._close_task is None:
            self._close_task = asyncio.ensure_future(in_thread(self._remove, name="remove"))
        await asyncio.shield(self._close_task)

    def _remove(self) -> None:
        self._closed = True
        try:
            remove_everything(self.connection, self.container_id, self.volumes)
        except MachineError as exc:
            self.cleanup_error = exc
            _log.warning("%s", exc)


def remove_everything(
    connection: Connection, container_id: str | None, volumes: Sequence[str]
) -> None:
    """Removes the container and its volumes; retries briefly, never raises for a missing
    one. Blocking."""
    api = connection.api
    problems: list[str] = []
    if container_id is not None:
        try:
            api.remove_container(container_id, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except Exception as exc:
            problems.append(f"container {container_id[:12]}: {exc}")
    for name in volumes:
        for attempt in range(5):
            try:
                api.remove_volume(name, force=True)
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as exc:
                # A volume is released a moment after its container goes.
                if attempt == 4:
                    problems.append(f"volume {name}: {exc.explanation}")
                time.sleep(0.2)
            except Exception as exc:
                problems.append(f"volume {name}: {exc}")
                break
    if problems:
        raise MachineError(
            connection.endpoint.label,
            "could not remove everything the evaluation made: " + "; ".join(problems),
            "they are labelled io.jitskit.tool=jitskit-tui and will be reaped by the next run",
        )
