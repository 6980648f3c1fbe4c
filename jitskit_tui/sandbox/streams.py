"""Reading a child's output line by line while keeping a bounded tail of it."""

from __future__ import annotations

import asyncio
import collections

from jitskit_tui.sandbox.base import StdoutLine

TAIL_BYTES = 1 << 20


async def pump_lines(stream: asyncio.StreamReader, on_line: StdoutLine | None) -> str:
    """Passes each line to ``on_line`` as it arrives; returns the last ~1 MiB of text."""
    tail: collections.deque[str] = collections.deque()
    size = 0
    while True:
        try:
            raw = await stream.readline()
        except ValueError:
            # A line longer than the reader's limit: take what is buffered and go on.
            raw = await stream.read(1 << 20)
        if not raw:
            break
        line = raw.decode("utf-8", errors="replace")
        if on_line is not None:
            on_line(line.rstrip("\n"))
        tail.append(line)
        size += len(line)
        while size > TAIL_BYTES and len(tail) > 1:
            size -= len(tail.popleft())
    return "".join(tail)
