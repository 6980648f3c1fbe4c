"""A transcript block: one thing the transcript shows, whose text grows by appending.

A block keeps its text as parts and joins them only when read, so a fast stream costs one
string append per delta; its ``version`` tells the view when to re-wrap it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from jitskit_tui.protocol.events import Role

BlockKind = Literal[
    "divider", "turn", "text", "thinking", "tool", "steering", "error", "retry", "note"
]


@dataclass(eq=False)
class Block:
    """One thing in the transcript. ``version`` moves whenever what it shows changes."""

    kind: BlockKind
    title: str = ""
    role: Role | None = None
    iteration: int | None = None
    ok: bool | None = None
    """A tool call's outcome; ``None`` while it runs."""
    detail: str = ""
    """A tool call's input and result, shown when expanded."""
    collapsed: bool = False
    version: int = 0
    severity: Literal["info", "warning", "error"] = "info"
    _parts: list[str] = field(default_factory=list)
    _joined: str = ""
    size: int = 0
    """Characters of text so far."""
    forming: bool = False
    """A tool call still being written: its text is the partial input JSON so far."""

    @property
    def collapsible(self) -> bool:
        return self.kind in ("tool", "thinking")

    @property
    def text(self) -> str:
        if len(self._parts) > 1:
            self._joined = "".join(self._parts)
            self._parts = [self._joined]
        elif self._parts:
            self._joined = self._parts[0]
        return self._joined

    def append(self, delta: str) -> None:
        self._parts.append(delta)
        self.size += len(delta)
        self.version += 1

    def clear_text(self) -> None:
        self._parts, self._joined, self.size = [], "", 0

    @property
    def ends_line(self) -> bool:
        return bool(self._parts) and self._parts[-1].endswith("\n")
