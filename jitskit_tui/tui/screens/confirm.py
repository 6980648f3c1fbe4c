"""Questions with a consequence: abort, fork, quit with a live run, and a harness-change
proposal to approve or reject."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from jitskit_tui.engine.state import ProposalView
from jitskit_tui.tui.run.diffs import parse_unified
from jitskit_tui.tui.widgets.diff_view import DiffView


class ConfirmDialog(ModalScreen[bool]):
    """Yes (y, or Enter on the focused button) or no (n, Esc)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape", "answer(False)", "No", show=False),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, title: str, text: str, yes: str, *, danger: bool = False) -> None:
        super().__init__()
        self._title = title
        self._text = text
        self._yes = yes
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Static(Content(self._text), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._yes, id="yes", variant="error" if self._danger else "primary")
                yield Button("Cancel", id="no")
            yield Static("y yes · n or Esc no", classes="dialog-note")

    def on_mount(self) -> None:
        # A dangerous question starts on Cancel: Enter alone never does the damage.
        self.query_one("#no" if self._danger else "#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


Decision = Literal["approve", "reject"]


CRAMPED_BELOW = 32
"""Terminal rows under which the proposal dialog gives up its buttons' borders."""


class ProposalDialog(ModalScreen[Decision | None]):
    """A harness-change proposal: why, the change itself, approve (a) or reject (r)."""

    BINDINGS = [
        Binding("a", "decide('approve')", "Approve", show=False),
        Binding("r", "decide('reject')", "Reject", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    def __init__(self, proposal: ProposalView, *, can_decide: bool) -> None:
        super().__init__()
        self._proposal = proposal
        self._can_decide = can_decide and proposal.decision is None

    def compose(self) -> ComposeResult:
        p = self._proposal
        state = p.decision or "pending"
        with Vertical(classes="dialog proposal"):
            yield Label(f"Proposal {p.id}: {p.title}", classes="dialog-title")
            yield Static(Content(f"{state} · {p.rationale}"), classes="dialog-text")
            view = DiffView(id="proposal-diff")
            yield view
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    "Approve", id="approve", variant="success", disabled=not self._can_decide
                )
                yield Button("Reject", id="reject", variant="error", disabled=not self._can_decide)
                yield Button("Close", id="close")
            note = "a approve · r reject · Esc close" if self._can_decide else "Esc close"
            yield Static(note, classes="dialog-note")

    def on_mount(self) -> None:
        self._fit()
        view = self.query_one(DiffView)
        diff = self._proposal.diff.strip()
        view.show(parse_unified(diff) if diff else None)
        view.display = bool(diff)
        self.query_one("#close", Button).focus()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """On a short terminal the buttons lose their borders, so the diff keeps rows."""
        cramped = self.size.height < CRAMPED_BELOW
        self.set_class(cramped, "-cramped")
        for button in self.query(Button):
            button.compact = cramped

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("approve", "reject"):
            self.action_decide(event.button.id)
        else:
            self.dismiss(None)

    def action_decide(self, decision: str) -> None:
        if not self._can_decide:
            return
        self.dismiss("approve" if decision == "approve" else "reject")

    def action_close(self) -> None:
        self.dismiss(None)
