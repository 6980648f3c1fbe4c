"""One command in a running container: an exec whose output is read as it arrives.

Docker has no call that kills an exec, so a command that runs past its deadline (or
whose caller gives up) is ended from inside: a second exec, as the sandbox user, sends
SIGKILL to every process that user owns (``kill -KILL -1``), which catches children that
left the process group too. The container's PID 1 runs as another user and survives.
Should the stream still not end, the whole container is killed.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import docker

TAIL_BYTES = 1 << 20
POLL_S = 0.2
KILL_GRACE_S = 5.0
_HEADER = struct.Struct(">BxxxL")


@dataclass(frozen=True)
class ExecOutcome:
    exit_code: int | None
    """Docker's exit code (128+N for a signal N); ``None`` when it could not be read."""
    timed_out: bool
    cancelled: bool
    stdout: bytes
    stderr: bytes
    wall_s: float
    container_killed: bool


class Tail:
    """The last ``limit`` bytes written to it."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self._data = bytearray()

    def write(self, data: bytes) -> None:
        self._data += data
        if len(self._data) > 2 * self.limit:
            del self._data[: len(self._data) - self.limit]

    def value(self) -> bytes:
        return bytes(self._data[-self.limit :])


class LineSplitter:
    """Feeds complete lines (without the newline) to ``emit`` as bytes arrive."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._partial = bytearray()

    def feed(self, data: bytes) -> None:
        self._partial += data
        while True:
            cut = self._partial.find(b"\n")
            if cut < 0:
                break
            line = bytes(self._partial[:cut])
            del self._partial[: cut + 1]
            self._emit(line.decode(errors="replace").rstrip("\r"))
        if len(self._partial) > TAIL_BYTES:
            # A "line" this long is noise, not a progress tick; keep memory bounded.
            del self._partial[:-TAIL_BYTES]

    def flush(self) -> None:
        if self._partial:
            line = bytes(self._partial)
            self._partial.clear()
            self._emit(line.decode(errors="replace"))


class _Frames:
    """Demultiplexes Docker's attach stream: 8-byte header (stream, size), then payload."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        frames: list[tuple[int, bytes]] = []
        while len(self._buffer) >= _HEADER.size:
            stream, size = _HEADER.unpack_from(self._buffer)
            if len(self._buffer) < _HEADER.size + size:
                break
            payload = bytes(self._buffer[_HEADER.size : _HEADER.size + size])
            del self._buffer[: _HEADER.size + size]
            frames.append((stream, payload))
        return frames


def _raw_socket(handle: Any) -> socket.socket:
    raw = getattr(handle, "_sock", handle)
    if not isinstance(raw, socket.socket):
        raise TypeError(f"unexpected exec stream {type(handle).__name__}")
    return raw


def run_exec(
    api: docker.APIClient,
    container: str,
    argv: Sequence[str],
    *,
    user: str,
    env: Mapping[str, str] | None,
    cwd: str,
    timeout_s: float,
    on_line: Callable[[str], None] | None,
    cancel: threading.Event,
    kill_processes: Callable[[], None],
    kill_container: Callable[[], None],
) -> ExecOutcome:
    """Runs ``argv`` in ``container`` until it ends, its deadline passes or ``cancel`` is set.

    Blocking; every wait in it is bounded.
    """
    created = api.exec_create(
        container,
        list(argv),
        stdout=True,
        stderr=True,
        stdin=False,
        tty=False,
        environment=dict(env) if env else None,
        workdir=cwd,
        user=user,
    )
    exec_id = str(created["Id"])
    started = time.monotonic()
    deadline = started + max(0.0, timeout_s)
    handle = api.exec_start(exec_id, socket=True)
    stdout, stderr = Tail(), Tail()
    lines = LineSplitter(on_line) if on_line is not None else None
    frames = _Frames()
    timed_out = cancelled = container_killed = False
    give_up_at: float | None = None
    try:
        raw = _raw_socket(handle)
        raw.settimeout(POLL_S)
        while True:
            now = time.monotonic()
            if give_up_at is None and (now >= deadline or cancel.is_set()):
                timed_out = now >= deadline and not cancel.is_set()
                cancelled = not timed_out
                _quietly(kill_processes)
                give_up_at = now + KILL_GRACE_S
            elif give_up_at is not None and now >= give_up_at:
                if container_killed:
                    break
                _quietly(kill_container)
                container_killed = True
                give_up_at = now + KILL_GRACE_S
            try:
                data = raw.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            for stream, payload in frames.feed(data):
                if stream == 2:
                    stderr.write(payload)
                else:
                    stdout.write(payload)
                    if lines is not None:
                        lines.feed(payload)
    finally:
        with contextlib.suppress(Exception):
            handle.close()
    if lines is not None:
        lines.flush()
    wall_s = time.monotonic() - started
    exit_code = _exit_code(api, exec_id)
    return ExecOutcome(
        exit_code=exit_code,
        timed_out=timed_out,
        cancelled=cancelled,
        stdout=stdout.value(),
        stderr=stderr.value(),
        wall_s=wall_s,
        container_killed=container_killed,
    )


def _exit_code(api: docker.APIClient, exec_id: str) -> int | None:
    # The stream can end a moment before the daemon records the exit.
    for _ in range(25):
        try:
            info = api.exec_inspect(exec_id)
        except docker.errors.APIError:
            return None
        if not info.get("Running"):
            code = info.get("ExitCode")
            return int(code) if code is not None else None
        time.sleep(0.04)
    return None


def _quietly(action: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        action()


def run_short(
    api: docker.APIClient, container: str, argv: Sequence[str], *, user: str
) -> tuple[int | None, bytes]:
    """Runs a short helper command (no streaming, no deadline beyond the client's)."""
    created = api.exec_create(container, list(argv), stdout=True, stderr=True, user=user)
    exec_id = str(created["Id"])
    output = api.exec_start(exec_id)
    data = output if isinstance(output, bytes) else b""
    return _exit_code(api, exec_id), data
