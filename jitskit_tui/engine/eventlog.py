"""The run's `events.jsonl`: appending, replaying and following it live.

One JSON object per line. The engine is the only writer; each line goes out in one
`write(2)` on an `O_APPEND` descriptor, so a crash loses at most the line being written
and a reader never sees two events interleaved. Readers are forgiving: a partial last
line is waited for (or skipped when replaying), and a line that does not decode becomes
a :class:`LogCorrupt` notice instead of an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from jitskit_tui.protocol.events import Event, LogCorrupt, dump_event, parse_event

Listener = Callable[[Event], None]


class EventLogError(Exception):
    """The log cannot be opened or written (with the path and what to do)."""


class LineLog:
    """An append-only file of one line per record, with one writer: each line goes out in
    one `write(2)` on an `O_APPEND` descriptor, and a partial last line (the record a killed
    writer was writing) is cut when the file is opened, so the next line starts clean."""

    def __init__(self, path: Path, what: str, fd: int) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = fd

    @classmethod
    def open(cls, path: Path, what: str) -> tuple[LineLog, bytes]:
        """``path`` opened for appending (``what`` names it in errors: ``the event log``),
        and the complete lines already in it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = _cut_partial_line(path)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise EventLogError(
                f"{path}: cannot open {what} for appending ({exc.strerror}); check the "
                "folder's permissions and free space"
            ) from None
        return cls(path, what, fd), existing

    def write(self, line: str) -> None:
        if self._fd is None:
            raise EventLogError(f"{self.path}: {self.what} is closed")
        view = memoryview((line + "\n").encode())
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    async def sync(self) -> None:
        fd = self._fd
        if fd is not None:
            await asyncio.to_thread(os.fsync, fd)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _cut_partial_line(path: Path) -> bytes:
    """Cuts a partial last line off ``path`` and returns its complete lines (none when
    there is no file yet)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b""
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with path.open("r+b") as handle:
            handle.truncate(keep)
        data = data[:keep]
    return data


class EventLog:
    """Appends stamped events to a run's log and hands them to in-process listeners."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file, existing = LineLog.open(path, "the event log")
        events = decode_lines(existing.splitlines())
        self._seq = max((e.seq for e in events if not isinstance(e, LogCorrupt)), default=0)
        self._listeners: list[Listener] = []

    @property
    def last_seq(self) -> int:
        return self._seq

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Calls ``listener`` with every event appended from now on; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def append(self, event: Event) -> Event:
        """Stamps ``event`` with the next sequence number and the time, writes and flushes it.

        A listener that raises is dropped from nothing and stops nothing: its error is
        swallowed so a broken client cannot stop the run.
        """
        stamped: Event = event.model_copy(update={"seq": self._seq + 1, "ts": time.time()})
        self._file.write(dump_event(stamped))
        self._seq += 1
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(stamped)
        return stamped

    async def sync(self) -> None:
        """Forces the log to disk (iteration boundaries: nothing before them is lost)."""
        await self._file.sync()

    def close(self) -> None:
        self._file.close()


def decode_line(raw: bytes, number: int) -> Event:
    """One log line -> its event, or a :class:`LogCorrupt` notice saying what is wrong."""
    try:
        return parse_event(raw)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else None
        if first is not None and first["type"] == "json_invalid":
            reason = "not valid JSON"
        elif first is not None and first["type"] == "union_tag_invalid":
            reason = "unknown event type (written by a newer jitskit?)"
        elif first is not None:
            where = ".".join(str(p) for p in first["loc"])
            reason = f"{where}: {first['msg']}"
        else:
            reason = "not an event"
        excerpt = raw[:120].decode("utf-8", errors="replace")
        return LogCorrupt(line=number, excerpt=excerpt, reason=reason)


def decode_lines(lines: Iterable[bytes], first_line: int = 1) -> Iterator[Event]:
    for number, raw in enumerate(lines, start=first_line):
        if raw.strip():
            yield decode_line(raw, number)


def read_events(path: Path) -> list[Event]:
    """Every event in the log, in order (replay). A partial last line is skipped: it is the
    event a crashed process was writing, and its writer's successor cuts it off."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EventLogError(
            f"{path}: no event log; is this a jitskit workspace (see `jitskit runs`)?"
        ) from None
    complete = data[: data.rfind(b"\n") + 1]
    return list(decode_lines(complete.splitlines()))


async def follow_events(
    path: Path,
    *,
    poll_s: float = 0.1,
    after_seq: int = 0,
    stop_when: Callable[[Event], bool] | None = None,
) -> AsyncIterator[Event]:
    """Yields the log's events from the start, then new ones as they are appended
    (`tail -f`), until ``stop_when`` says so or the caller stops iterating.

    Events with ``seq <= after_seq`` are skipped (a client that replayed them already).
    A line is yielded only once its newline is there, so a reader never sees half an event.
    """
    try:
        handle = await asyncio.to_thread(path.open, "rb")
    except FileNotFoundError:
        raise EventLogError(f"{path}: no event log to follow") from None
    try:
        pending = b""
        line_number = 0
        while True:
            chunk = await asyncio.to_thread(handle.read, 1 << 20)
            if not chunk:
                await asyncio.sleep(poll_s)
                continue
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for event in decode_lines(lines, first_line=line_number + 1):
                if isinstance(event, LogCorrupt) or event.seq > after_seq:
                    yield event
                    if stop_when is not None and stop_when(event):
                        return
            line_number += len(lines)
    finally:
        handle.close()
