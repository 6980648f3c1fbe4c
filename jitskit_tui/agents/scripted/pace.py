"""How fast the scripted agent talks: streaming text at a human-readable rate, or not."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Literal

from jitskit_tui.protocol.agent import AgentSink

PaceName = Literal["realistic", "fast", "instant"]
PACES: tuple[PaceName, ...] = ("realistic", "fast", "instant")
_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Pace:
    name: PaceName
    chars_per_s: float | None
    """``None``: no delay at all (tests)."""
    chunk_chars: int
    tool_pause_s: float
    """A beat before each tool call, as a model takes to form one."""

    async def stream(self, text: str, sink: AgentSink) -> None:
        """Sends ``text`` to ``sink`` in word-aligned chunks at this pace (cancellable)."""
        chunk = ""
        for word in _WORDS.findall(text):
            chunk += word
            if len(chunk) >= self.chunk_chars:
                await self._send(chunk, sink)
                chunk = ""
        if chunk:
            await self._send(chunk, sink)

    async def _send(self, chunk: str, sink: AgentSink) -> None:
        sink.text(chunk)
        await asyncio.sleep(len(chunk) / self.chars_per_s if self.chars_per_s else 0)

    async def beat(self) -> None:
        await asyncio.sleep(self.tool_pause_s)


def pace_named(name: PaceName) -> Pace:
    if name == "realistic":
        return Pace(name, chars_per_s=160.0, chunk_chars=12, tool_pause_s=0.6)
    if name == "fast":
        return Pace(name, chars_per_s=2000.0, chunk_chars=40, tool_pause_s=0.05)
    return Pace(name, chars_per_s=None, chunk_chars=400, tool_pause_s=0.0)
