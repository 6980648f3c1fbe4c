"""A diff, drawn row by row: unified or side by side, syntax-highlighted per line.

Only the rows on screen are highlighted (and cached), so opening a 5,000-line diff costs
the parse and one screenful. ``n``/``N`` jump between hunks, ``[``/``]`` between files.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax, SyntaxTheme
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jitskit_tui.tui.keymap import DIFF_KEYS
from jitskit_tui.tui.run.diffs import DiffFile, DiffRow, ParsedDiff, SplitRow, side_by_side

TAB = "    "


@lru_cache(maxsize=64)
def lexer_for(path: str) -> Any:
    """The Pygments lexer for a file name (through Rich, which chooses it), or None."""
    return Syntax("", Syntax.guess_lexer(path, code="\n")).lexer


def _foreground(style: Style) -> Style:
    """A token's style without its background, so the added/removed tint shows through."""
    return Style(color=style.color, bold=style.bold, italic=style.italic)


class DiffView(ScrollView, can_focus=True):
    """Rows of one parsed diff."""

    BINDINGS: ClassVar[list[BindingType]] = DIFF_KEYS.bindings()

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "diff--file",
        "diff--hunk",
        "diff--meta",
        "diff--added",
        "diff--removed",
        "diff--gutter",
        "diff--empty",
    }

    DEFAULT_CSS = """
    DiffView {
        & > .diff--file { background: $primary 30%; color: $text; text-style: bold; }
        & > .diff--hunk { color: $text-accent; background: $accent 10%; }
        & > .diff--meta { color: $text-muted; }
        & > .diff--added { background: $success 15%; }
        & > .diff--removed { background: $error 15%; }
        & > .diff--gutter { color: $text-muted; }
        & > .diff--empty { background: $foreground 4%; }
    }
    """

    split: reactive[bool] = reactive(False)

    @dataclass
    class FileChanged(Message):
        """The file at the top of the view changed (the file list follows it)."""

        index: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.parsed: ParsedDiff | None = None
        self._split_rows: list[SplitRow] | None = None
        self._number_width = 4
        self._max_width = 0
        self._highlights: LRUCache[tuple[str, str], list[Segment]] = LRUCache(4096)
        self._theme: SyntaxTheme | None = None
        self._file_at_top = -1

    # -- content -------------------------------------------------------------------------

    def show(self, parsed: ParsedDiff | None) -> None:
        self.parsed = parsed
        self._split_rows = None
        self._file_at_top = -1
        if parsed is not None and parsed.rows:
            biggest = max((r.old_no or 0) for r in parsed.rows[-200:])
            biggest = max(biggest, *((r.new_no or 0) for r in parsed.rows[-200:]))
            self._number_width = max(3, len(str(biggest)))
            self._max_width = max(len(r.text) for r in parsed.rows)
        self._update_size()
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    @property
    def row_count(self) -> int:
        if self.parsed is None:
            return 0
        return len(self._rows_split()) if self.split else len(self.parsed.rows)

    def _rows_split(self) -> list[SplitRow]:
        if self._split_rows is None:
            self._split_rows = side_by_side(self.parsed) if self.parsed else []
        return self._split_rows

    def _update_size(self) -> None:
        gutter = 2 * self._number_width + 4
        width = self.size.width if self.split else gutter + self._max_width + 1
        self.virtual_size = Size(max(width, self.size.width), self.row_count)

    def watch_split(self) -> None:
        # Keep the same place in the diff when switching views.
        source = self._source_row(int(self.scroll_y))
        self._update_size()
        self.scroll_to(0, self._row_for_source(source), animate=False)
        self.refresh()

    def on_resize(self) -> None:
        self._update_size()

    # -- positions -----------------------------------------------------------------------

    def _source_row(self, row: int) -> int:
        """The unified row index of view row ``row``."""
        if not self.split:
            return row
        rows = self._rows_split()
        return rows[row].source if 0 <= row < len(rows) else 0

    def _row_for_source(self, source: int) -> int:
        if not self.split:
            return source
        sources = [r.source for r in self._rows_split()]
        return max(0, bisect_right(sources, source) - 1)

    def scroll_to_source(self, source: int) -> None:
        self.scroll_to(y=self._row_for_source(source), animate=False)

    def _current_source(self) -> int:
        return self._source_row(int(self.scroll_y))

    def action_next_hunk(self) -> None:
        self._jump([h for f in self._files() for h in f.hunk_rows], forward=True)

    def action_previous_hunk(self) -> None:
        self._jump([h for f in self._files() for h in f.hunk_rows], forward=False)

    def action_next_file(self) -> None:
        self._jump([f.first_row for f in self._files()], forward=True)

    def action_previous_file(self) -> None:
        self._jump([f.first_row for f in self._files()], forward=False)

    def action_toggle_split(self) -> None:
        self.split = not self.split

    def _files(self) -> list[DiffFile]:
        return self.parsed.files if self.parsed else []

    def _jump(self, targets: list[int], *, forward: bool) -> None:
        if not targets:
            return
        here = self._current_source()
        if forward:
            later = [t for t in targets if t > here]
            target = later[0] if later else targets[-1]
        else:
            earlier = [t for t in targets if t < here]
            target = earlier[-1] if earlier else targets[0]
        self.scroll_to_source(target)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        parsed = self.parsed
        if parsed is None or not parsed.rows:
            return
        source = min(self._source_row(int(new_value)), len(parsed.rows) - 1)
        index = parsed.rows[source].file_index
        if index != self._file_at_top:
            self._file_at_top = index
            self.post_message(self.FileChanged(index))

    # -- drawing -------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        # Tints are translucent: blended with the view's background (not partial). Text
        # colours are partial, so the line's tint shows under them.
        partial = name in ("gutter", "meta")
        return self.get_component_rich_style(f"diff--{name}", partial=partial)

    def _syntax_theme(self) -> SyntaxTheme:
        if self._theme is None:
            dark = self.app.current_theme.dark if self.app.current_theme else True
            self._theme = Syntax.get_theme("monokai" if dark else "default")
        return self._theme

    def _code(self, path: str, text: str) -> list[Segment]:
        key = (path, text)
        cached = self._highlights.get(key)
        if cached is not None:
            return cached
        theme = self._syntax_theme()
        text = text.replace("\t", TAB)
        lexer = lexer_for(path)
        if lexer is None:
            segments = [Segment(text)]
        else:
            segments = [
                Segment(value.replace("\n", ""), _foreground(theme.get_style_for_token(token)))
                for token, value in lexer.get_tokens(text)
                if value.strip("\n")
            ]
        self._highlights[key] = segments
        return segments

    def _path(self, row: DiffRow) -> str:
        parsed = self.parsed
        return parsed.files[row.file_index].path if parsed and parsed.files else ""

    def _number(self, value: int | None) -> str:
        return f"{value:>{self._number_width}}" if value is not None else " " * self._number_width

    def _header(self, row: DiffRow, width: int) -> Strip:
        if row.kind == "file" and self.parsed is not None:
            file = self.parsed.files[row.file_index]
            text = f" {file.path}  ({file.status}, +{file.added} -{file.removed})"
            style = self._style("file")
        elif row.kind == "hunk":
            text, style = f" {row.text}", self._style("hunk")
        else:
            text, style = f" {row.text}", self._style("meta")
        return Strip([Segment(text, style)]).crop_extend(0, width, style)

    def _side(self, row: DiffRow | None, width: int, number: int | None) -> Strip:
        if row is None:
            return Strip.blank(width, self._style("empty"))
        marker = {"add": "+", "del": "-"}.get(row.kind, " ")
        tint = {"add": self._style("added"), "del": self._style("removed")}.get(row.kind, Style())
        segments = [
            Segment(f"{self._number(number)} {marker}", self._style("gutter")),
            *self._code(self._path(row), row.text),
        ]
        return Strip(segments).crop_extend(0, width, Style()).apply_style(tint)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row_index = scroll_y + y
        base = self.rich_style
        if self.parsed is None or row_index >= self.row_count:
            return Strip.blank(width, base)
        if self.split:
            split = self._rows_split()[row_index]
            header = split.header
            if header is not None:
                return self._header(header, width).apply_style(base)
            half = (width - 1) // 2
            left = self._side(split.left, half, split.left.old_no if split.left else None)
            right = self._side(
                split.right, width - half - 1, split.right.new_no if split.right else None
            )
            bar = Strip([Segment("│", self._style("gutter"))])
            return Strip.join([left, bar, right]).apply_style(base)
        row = self.parsed.rows[row_index]
        if row.kind in ("file", "hunk", "meta"):
            return self._header(row, width).apply_style(base)
        tint = {"add": self._style("added"), "del": self._style("removed")}.get(row.kind, Style())
        marker = {"add": "+", "del": "-"}.get(row.kind, " ")
        gutter = f"{self._number(row.old_no)} {self._number(row.new_no)} {marker}"
        code = self._code(self._path(row), row.text)
        strip = Strip([Segment(gutter, self._style("gutter")), *code])
        return (
            strip.crop_extend(scroll_x, scroll_x + width, Style())
            .apply_style(tint)
            .apply_style(base)
        )
