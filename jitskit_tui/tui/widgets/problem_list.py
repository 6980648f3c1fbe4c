"""The list of problems in the card, one per line:column; choosing one jumps to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from jitskit_tui.tui.keymap import PROBLEM_KEYS

if TYPE_CHECKING:
    from jitskit_tui.spec import SpecIssue


def _problem_row(issue: SpecIssue, width: int, where_style: Style) -> Table:
    """``LINE:COL  message``, the message wrapping under itself, not under the location."""
    row = Table.grid(padding=(0, 1))
    row.add_column(width=width, no_wrap=True)
    row.add_column(ratio=1)
    row.add_row(Text(f"{issue.line}:{issue.column}", style=where_style), issue.message)
    return row


class ProblemList(OptionList):
    """Problems sorted by position. Enter or a click posts :class:`ProblemList.Jump`."""

    BINDINGS = PROBLEM_KEYS.bindings()

    @dataclass
    class Jump(Message):
        """The user chose a problem: put the editor's cursor on it."""

        issue: SpecIssue

    @dataclass
    class Back(Message):
        """The user left the list without choosing."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._issues: tuple[SpecIssue, ...] | None = None  # None until the first check

    @property
    def issues(self) -> tuple[SpecIssue, ...]:
        return self._issues or ()

    def show_issues(self, issues: tuple[SpecIssue, ...]) -> None:
        """Replaces the list, keeping the highlight on the same position when it remains."""
        if issues == self._issues:
            return
        previous = (
            self._issues[self.highlighted]
            if self.highlighted is not None and self._issues
            else None
        )
        self._issues = issues
        self.clear_options()
        if not issues:
            self.add_option(
                Option(Content.from_markup("[$text-success]✓[/] no problems"), disabled=True)
            )
            return
        width = max(len(f"{i.line}:{i.column}") for i in issues)
        where_style = Style(color=self.app.theme_variables.get("text-error"), bold=True)
        self.add_options(
            Option(_problem_row(issue, width, where_style), id=f"problem-{index}")
            for index, issue in enumerate(issues)
        )
        keep = 0
        if previous is not None:
            keep = next((i for i, issue in enumerate(issues) if issue.line == previous.line), 0)
        self.highlighted = keep

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._issues and 0 <= event.option_index < len(self._issues):
            self.post_message(self.Jump(self._issues[event.option_index]))

    def action_back(self) -> None:
        self.post_message(self.Back())
