"""The card summary beside the editor: the last valid parse, marked stale while invalid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from jitskit_tui.spec import SpecCard


class SummaryPanel(VerticalScroll):
    """Two parts, what the card serves and what it demands: stacked in a side column,
    side by side under the editor on a narrow terminal. Scrolls when short, with the
    arrow keys once focused."""

    def compose(self) -> ComposeResult:
        yield Static(id="summary-stale")
        with Horizontal(id="summary-parts"):
            yield Static(id="summary-workload")
            yield Static(id="summary-demands")

    def show_card(self, spec: SpecCard) -> None:
        # Imported on first use: it needs the spec models, loaded by the first check.
        from jitskit_tui.tui.summary import card_summary_parts

        workload, demands = card_summary_parts(spec)
        self.query_one("#summary-workload", Static).update(workload)
        self.query_one("#summary-demands", Static).update(demands)
        self.query_one("#summary-stale", Static).display = False
        self.remove_class("-stale")

    def show_invalid(self, last_valid: SpecCard | None) -> None:
        """While the text has problems, keep the last valid summary, greyed, or say why
        there is none."""
        note = self.query_one("#summary-stale", Static)
        note.display = True
        self.add_class("-stale")
        if last_valid is None:
            note.update(Content("No summary yet: the card has problems (see the list)."))
            self.query_one("#summary-workload", Static).update("")
            self.query_one("#summary-demands", Static).update("")
        else:
            note.update(Content("Last valid version; the text now has problems."))

    @property
    def text(self) -> str:
        """The summary as plain text, for tests and screen readers."""
        parts = [self.query_one(f"#summary-{p}", Static).render() for p in ("workload", "demands")]
        return "\n\n".join(str(p) for p in parts)
