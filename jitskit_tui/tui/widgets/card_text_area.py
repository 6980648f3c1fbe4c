"""The YAML editor: a code TextArea that marks the lines and columns with problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding
from textual.events import Key
from textual.message import Message
from textual.widgets import TextArea

if TYPE_CHECKING:
    from jitskit_tui.spec import SpecIssue


class CardTextArea(TextArea):
    """YAML with highlighting, two-space indents, and problem lines tinted; the column a
    problem points at is underlined up to the end of its word."""

    COMPONENT_CLASSES: ClassVar[set[str]] = TextArea.COMPONENT_CLASSES | {
        "card-text-area--problem-line",
        "card-text-area--problem",
    }

    BINDINGS = [
        Binding("ctrl+home", "document_start", "Start of the card", show=False),
        Binding("ctrl+end", "document_end", "End of the card", show=False),
    ]

    DEFAULT_CSS = """
    CardTextArea {
        & > .card-text-area--problem-line { background: $error 18%; }
        & > .card-text-area--problem { color: $text-error; text-style: bold underline; }
    }
    """

    @dataclass
    class Leave(Message):
        """Esc in the editor: the screen decides where the focus goes."""

    def __init__(self, text: str = "", *, id: str | None = None, cursor_blink: bool = True) -> None:
        super().__init__(
            text,
            language="yaml",
            theme="css",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            id=id,
        )
        self.indent_width = 2
        self.cursor_blink = cursor_blink
        self._problem_columns: dict[int, tuple[int, ...]] = {}

    def action_document_start(self) -> None:
        self.move_cursor((0, 0))

    def action_document_end(self) -> None:
        last = self.document.line_count - 1
        self.move_cursor((last, len(self.document.get_line(last))))

    def on_key(self, event: Key) -> None:
        # Runs before TextArea's own handler, which would move to the next widget in
        # DOM order (the summary); the problems list is the more useful place.
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            self.post_message(self.Leave())

    def mark_problems(self, issues: tuple[SpecIssue, ...]) -> None:
        """Marks these problems (1-based line and column), replacing earlier marks."""
        columns: dict[int, set[int]] = {}
        for issue in issues:
            columns.setdefault(issue.line - 1, set()).add(issue.column - 1)
        marks = {line: tuple(sorted(cols)) for line, cols in columns.items()}
        if marks != self._problem_columns:
            self._problem_columns = marks
            # The TextArea caches rendered lines; a style update drops that cache.
            self.notify_style_update()
            self.refresh()

    @property
    def problem_lines(self) -> tuple[int, ...]:
        """0-based indices of the lines that carry a mark."""
        return tuple(sorted(self._problem_columns))

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        columns = self._problem_columns.get(line_index)
        if not columns:
            return line
        tint = self.get_component_rich_style("card-text-area--problem-line", partial=True)
        line.stylize(tint)
        point = self.get_component_rich_style("card-text-area--problem", partial=True)
        plain = line.plain
        for column in columns:
            if column >= len(plain):
                continue
            end = column + 1
            while end < len(plain) and not plain[end].isspace() and plain[end] not in ":,]}":
                end += 1
            line.stylize(point, column, end)
        return line
