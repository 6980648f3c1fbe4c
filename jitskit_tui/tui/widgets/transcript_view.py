"""The transcript pane: a line-API view over the transcript's blocks.

Nothing is mounted per message: each block is wrapped into lines once per version and
width, and only the rows on screen are drawn, so a fast stream costs a re-wrap of the
block that grew. It follows the tail until the user scrolls up (End follows again); tool
calls and thinking are collapsed to one line, Enter opens the one under the cursor. A
tool call the model is still writing shows as `✎ name target · N characters so far`
until it starts.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jitskit_tui.tui.keymap import TRANSCRIPT_KEYS
from jitskit_tui.tui.run.blocks import Block
from jitskit_tui.tui.run.formatting import reflow
from jitskit_tui.tui.run.tool_text import forming_detail
from jitskit_tui.tui.run.transcript import Transcript

MAX_EXPANDED_LINES = 400
STRIP_CACHE_BLOCKS = 256
SHOWN_CACHE_BLOCKS = 64
"""Blocks whose lines are kept as drawn (cut to the view and styled): what is on screen."""
BlockKey = tuple[int, int, bool]

_MARKS = {"steering": "⚑ ", "error": "✗ ", "retry": "↻ ", "note": "· "}


class TranscriptView(ScrollView, can_focus=True):
    """Follows the tail until scrolled up; ``[``/``]`` select tool calls, Enter opens one."""

    BINDINGS: ClassVar[list[BindingType]] = TRANSCRIPT_KEYS.bindings()

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--planner",
        "transcript--coder",
        "transcript--critic",
        "transcript--auditor",
        "transcript--divider",
        "transcript--tool",
        "transcript--tool-failed",
        "transcript--detail",
        "transcript--steering",
        "transcript--error",
        "transcript--warning",
        "transcript--note",
        "transcript--cursor",
        "transcript--thinking",
    }

    DEFAULT_CSS = """
    TranscriptView {
        & > .transcript--planner { color: $text-primary; text-style: bold; }
        & > .transcript--coder { color: $text-success; text-style: bold; }
        & > .transcript--critic { color: $text-accent; text-style: bold; }
        & > .transcript--auditor { color: $text-warning; text-style: bold; }
        & > .transcript--divider { color: $text-muted; }
        & > .transcript--tool { color: $text-secondary; }
        & > .transcript--tool-failed { color: $text-error; }
        & > .transcript--detail { color: $text-muted; }
        & > .transcript--steering { color: $text-warning; }
        & > .transcript--error { color: $text-error; }
        & > .transcript--warning { color: $text-warning; }
        & > .transcript--note { color: $text-muted; }
        & > .transcript--cursor { background: $accent 30%; }
        & > .transcript--thinking { color: $text-muted; text-style: italic; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._transcript: Transcript | None = None
        self._seen_version = -1
        self._width = 0
        # Every block's line count (for the offsets), but the lines themselves only for
        # the blocks drawn lately: memory does not grow with the transcript's length.
        self._counts: dict[int, tuple[BlockKey, int]] = {}
        self._lines: LRUCache[tuple[int, BlockKey], list[Strip]] = LRUCache(STRIP_CACHE_BLOCKS)
        self._shown: LRUCache[tuple[int, BlockKey, int, Style], list[Strip]] = LRUCache(
            SHOWN_CACHE_BLOCKS
        )
        self._base_style: Style | None = None
        self._offsets: list[int] = [0]
        self.following = True
        self.cursor: int | None = None
        """The absolute index of the selected tool call or thinking block."""

    # -- content -------------------------------------------------------------------------

    def show(self, transcript: Transcript | None) -> None:
        """Shows another run's transcript (or none), following its tail."""
        self._transcript = transcript
        self._lines.clear()
        self._shown.clear()
        self._counts.clear()
        self._seen_version = -1
        self.cursor = None
        self.following = True
        self.sync()

    def sync(self, *, force: bool = False) -> None:
        """Catches up with the transcript (cheap when nothing changed)."""
        transcript = self._transcript
        width = self._wrap_width()
        if transcript is None:
            self._offsets = [0]
            self.virtual_size = Size(width, 0)
            self.refresh()
            return
        if not force and transcript.version == self._seen_version and width == self._width:
            return
        self._seen_version = transcript.version
        self._width = width
        first = transcript.dropped
        if self._counts and min(self._counts) < first:
            self._counts = {k: v for k, v in self._counts.items() if k >= first}
        offsets = [0]
        total = 0
        counts = self._counts
        for i, block in enumerate(transcript.blocks):
            key = (block.version, width, block.collapsed)
            known = counts.get(first + i)
            if known is None or known[0] != key:
                known = (key, len(self._block_lines(first + i, block, width)))
                counts[first + i] = known
            total += known[1]
            offsets.append(total)
        self._offsets = offsets
        if self.virtual_size != Size(width, total):
            self._grow(Size(width, total))
        if self.following:
            self._to_tail()
        self.refresh()

    def _grow(self, size: Size) -> None:
        """A new content size, without the layout pass that setting ``virtual_size``
        asks for: the view's own size does not depend on it (and its scrollbar is always
        there), and a stream grows the transcript a line at a time, which made the whole
        screen lay itself out again with every batch of events."""
        self.set_reactive(TranscriptView.virtual_size, size)
        self._scroll_update(size)  # the scrollbar's extent, the scroll offset clamped

    def _to_tail(self) -> None:
        # Now, for the frame being drawn, and again once the layout has settled (the
        # pane's height may change in the same refresh: the steering line comes and goes).
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.call_after_refresh(self._tail_if_following)

    def _tail_if_following(self) -> None:
        # Not if the user scrolled up in between.
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _block_lines(self, index: int, block: Block, width: int) -> list[Strip]:
        # Keyed by what the lines depend on (Textual's LRU cache never replaces a value).
        key = (index, (block.version, width, block.collapsed))
        lines = self._lines.get(key)
        if lines is None:
            lines = self._render_block(block, width)
            self._lines[key] = lines
        return lines

    # -- drawing -------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"transcript--{name}", partial=True)

    def _wrap(self, text: Text, width: int, gutter: str, gutter_style: Style) -> list[Strip]:
        console = self.app.console
        inner = max(4, width - len(gutter))
        strips = []
        for line in text.wrap(console, inner, overflow="fold", no_wrap=False):
            line.rstrip()
            segments = [Segment(gutter, gutter_style), *line.render(console)]
            strips.append(Strip(segments))
        return strips or [Strip([Segment(gutter, gutter_style)])]

    def _render_block(self, block: Block, width: int) -> list[Strip]:
        kind = block.kind
        role_style = self._style(block.role) if block.role else self._style("note")
        if kind == "divider":
            head = f"── {block.title} "
            rule = head + "─" * max(0, width - len(head))
            return [Strip([Segment(rule, self._style("divider"))])]
        if kind == "turn":
            return [Strip([Segment(f"▌ {block.title}", role_style)])]
        if kind == "text":
            gutter_style = Style(color=role_style.color, dim=True)
            return self._wrap(Text(reflow(block.text.rstrip("\n"))), width, "│ ", gutter_style)
        if kind == "thinking":
            if block.collapsed:
                title = f"  ▸ thinking · {len(block.text):,} characters"
                return [Strip([Segment(title, self._style("thinking"))])]
            text = Text(block.text.rstrip("\n"), style=self._style("thinking"))
            opened = Strip([Segment("  ▾ thinking", self._style("thinking"))])
            return [opened, *self._wrap(text, width, "  │ ", self._style("detail"))]
        if kind == "tool":
            return self._render_tool(block, width)
        style = {
            "error": self._style("error"),
            "warning": self._style("warning"),
            "info": self._style("steering") if kind == "steering" else self._style("note"),
        }[block.severity if kind != "steering" else "info"]
        if kind == "steering" and block.severity == "warning":
            style = self._style("steering") + Style(bold=True)
        mark = _MARKS.get(kind, "· ")
        return self._wrap(Text(mark + block.title, style=style), width, "  ", style)

    def _render_tool(self, block: Block, width: int) -> list[Strip]:
        status = "… " if block.ok is None else ("✓ " if block.ok else "✗ ")
        title = block.title
        if block.forming:
            status, title = "✎ ", f"{title} · {block.size:,} characters so far"
        arrow = "▸ " if block.collapsed else "▾ "
        style = self._style("tool") if block.ok is not False else self._style("tool-failed")
        if block.forming:
            style += Style(italic=True)
        head = Text(f"  {arrow}{status}{title}", style=style, no_wrap=True)
        head.truncate(width, overflow="ellipsis")
        lines = [Strip(head.render(self.app.console))]
        if block.collapsed:
            return lines
        full = forming_detail(block) if block.forming else block.detail
        detail = full.splitlines()[:MAX_EXPANDED_LINES]
        if len(full.splitlines()) > MAX_EXPANDED_LINES:
            detail.append("… more in the run's event log")
        body = Text("\n".join(detail), style=self._style("detail"))
        return lines + self._wrap(body, width, "    │ ", self._style("detail"))

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.following and self.scroll_y < self.max_scroll_y:
            # Shrunk without a Resize of its own (two layouts in one frame, as when the
            # summary above gains a line while the log replays): the tail again.
            self.call_after_refresh(self._tail_if_following)
        # The view's own style, once per pass: Textual works it out from every ancestor's
        # styles at each call, and a pass asks for it with every line.
        self._base_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._base_style = None

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        base = self._base_style or self.rich_style
        transcript = self._transcript
        if transcript is None or row >= self._offsets[-1]:
            return Strip.blank(width, base)
        i = bisect_right(self._offsets, row) - 1
        if not 0 <= i < len(transcript.blocks):
            return Strip.blank(width, base)
        index = transcript.dropped + i
        block = transcript.blocks[i]
        lines = self._block_lines(index, block, self._width)
        offset = row - self._offsets[i]
        if offset >= len(lines):
            return Strip.blank(width, base)
        if index == self.cursor and row == self._offsets[i]:
            strip = lines[offset].apply_style(self._style("cursor"))
            return strip.crop_extend(0, width, base).apply_style(base)
        # Lines as drawn, kept while their block and the view's style stay: a stream
        # scrolls every line on screen up, and each would be cut and styled again.
        key = (index, (block.version, self._width, block.collapsed), width, base)
        shown = self._shown.get(key)
        if shown is None:
            shown = [line.crop_extend(0, width, base).apply_style(base) for line in lines]
            self._shown[key] = shown
        return shown[offset]

    # -- following -----------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        following = new_value >= self.max_scroll_y
        if following != self.following:
            self.following = following
            self.post_message(self.FollowChanged(following))

    @dataclass
    class FollowChanged(Message):
        """Whether the view follows the tail changed (the pane's title says so)."""

        following: bool

    def _wrap_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 80)

    def on_resize(self) -> None:
        # Shown again after another pane, the view gets a Resize of the same size: only
        # a new width wraps the blocks again; a new height only moves the tail.
        if self._wrap_width() != self._width:
            self.sync(force=True)
        elif self.following:
            self._to_tail()

    # -- actions -------------------------------------------------------------------------

    def action_follow(self) -> None:
        self.following = True
        self._to_tail()

    def _collapsible(self) -> list[int]:
        transcript = self._transcript
        if transcript is None:
            return []
        return [transcript.dropped + i for i, b in enumerate(transcript.blocks) if b.collapsible]

    def _select(self, index: int) -> None:
        transcript = self._transcript
        if transcript is None:
            return
        self.cursor = index
        i = index - transcript.dropped
        top = self._offsets[i]
        height = self.scrollable_content_region.height
        if not self.scroll_y <= top < self.scroll_y + height:
            self.scroll_to(y=max(0, top - height // 3), animate=False)
        self.refresh()

    def action_next_block(self) -> None:
        blocks = self._collapsible()
        if not blocks:
            return
        after = [b for b in blocks if self.cursor is None or b > self.cursor]
        if not after and self.cursor is None:
            after = blocks
        if after:
            self._select(after[0] if self.cursor is not None else self._first_visible(blocks))

    def _first_visible(self, blocks: list[int]) -> int:
        transcript = self._transcript
        assert transcript is not None
        top = self.scroll_y
        for index in blocks:
            if self._offsets[index - transcript.dropped] >= top:
                return index
        return blocks[-1]

    def action_previous_block(self) -> None:
        blocks = self._collapsible()
        if not blocks:
            return
        if self.cursor is None:
            self._select(self._first_visible(blocks))
            return
        before = [b for b in blocks if b < self.cursor]
        if before:
            self._select(before[-1])

    def action_toggle_block(self) -> None:
        transcript = self._transcript
        if transcript is None:
            return
        if self.cursor is None:
            self.action_next_block()
        if self.cursor is None:
            return
        i = self.cursor - transcript.dropped
        if 0 <= i < len(transcript.blocks):
            block = transcript.blocks[i]
            block.collapsed = not block.collapsed
            self.following = False
            self.sync(force=True)

    def action_toggle_all(self) -> None:
        transcript = self._transcript
        if transcript is None:
            return
        blocks = [b for b in transcript.blocks if b.kind == "tool"]
        expand = any(b.collapsed for b in blocks)
        for block in blocks:
            block.collapsed = not expand
        self.sync(force=True)

    def on_click(self, event: events.Click) -> None:
        transcript = self._transcript
        if transcript is None:
            return
        row = int(self.scroll_y) + event.y
        i = bisect_right(self._offsets, row) - 1
        on_header = 0 <= i < len(transcript.blocks) and row == self._offsets[i]
        if on_header and transcript.blocks[i].collapsible:
            self.cursor = transcript.dropped + i
            self.action_toggle_block()

    def action_scroll_top(self) -> None:
        self.scroll_home(animate=False)
