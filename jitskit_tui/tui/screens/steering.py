"""Steering: writing guidance for the agents, and editing or cancelling what is pending.

Steering waits until it is applied: at the next iteration's plan, or at the agent's next
tool boundary. Until then it can be edited in place (the `edit-steer` control: refused,
and the text offered back, when the agent got the old text first) or cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from jitskit_tui.engine.state import SteeringView
from jitskit_tui.protocol.controls import steering_text_problem
from jitskit_tui.protocol.events import Delivery
from jitskit_tui.protocol.texts import one_line
from jitskit_tui.tui.run.formatting import delivery_text


@dataclass(frozen=True)
class SteeringDraft:
    text: str
    delivery: Delivery


class SteerText(TextArea):
    """The steering text. Enter sends it and Ctrl+J starts a new line, handled here, in
    the order keys reach the text: a screen binding would run before the keys typed just
    ahead of it were inserted, and a fast typist's last characters would be lost."""

    class Submitted(Message):
        pass

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted())
        elif event.key == "ctrl+j":
            event.stop()
            event.prevent_default()
            self.insert("\n")
        else:
            await super()._on_key(event)


class SteerDialog(ModalScreen[SteeringDraft | None]):
    """Enter sends; Ctrl+J starts a new line; Tab reaches the delivery choice."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("enter", "send", "Send", show=False, priority=True),
        Binding("ctrl+j", "newline", "New line", show=False),
    ]

    def __init__(self, title: str = "Steer the run", draft: SteeringDraft | None = None) -> None:
        super().__init__()
        self._title = title
        self._draft = draft

    def compose(self) -> ComposeResult:
        draft = self._draft
        delivery = draft.delivery if draft else "next-iteration"
        with Vertical(classes="dialog steer"):
            yield Label(self._title, classes="dialog-title")
            yield SteerText(draft.text if draft else "", id="steer-text", soft_wrap=True)
            yield Checkbox(
                "now, at the agent's next tool call (else at the next plan)",
                delivery == "next-tool",
                id="delivery",
            )
            yield Static("", id="steer-note", classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Send", id="send", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Static(
                "Enter send · Ctrl+J new line · Tab, Space: now or next iteration · Esc",
                classes="dialog-note",
            )

    def on_mount(self) -> None:
        area = self.query_one("#steer-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # With the text focused, Enter and Ctrl+J are the text's own keys (see SteerText).
        return not (action in ("send", "newline") and isinstance(self.focused, SteerText))

    def action_newline(self) -> None:
        self.query_one(SteerText).insert("\n")

    @on(SteerText.Submitted)
    def _submitted(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#send")
    def action_send(self) -> None:
        if isinstance(self.focused, Button) and self.focused.id == "cancel":
            self.dismiss(None)
            return
        text = self.query_one("#steer-text", TextArea).text.strip()
        problem = (
            "Write what the agents should hear first." if not text else steering_text_problem(text)
        )
        if problem is not None:
            # The dialog stays open with the text as typed.
            note = self.query_one("#steer-note", Static)
            note.update(problem[:1].upper() + problem[1:] + ".")
            note.add_class("-error")
            return
        now = self.query_one("#delivery", Checkbox).value
        delivery: Delivery = "next-tool" if now else "next-iteration"
        self.dismiss(SteeringDraft(text, delivery))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class PendingChoice:
    steering_id: str
    action: str
    """`edit` or `cancel`."""


class PendingSteeringDialog(ModalScreen[PendingChoice | None]):
    """Pending steering, oldest first: Enter edits, Delete (or x) cancels."""

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("delete,x", "cancel_steering", "Cancel it", show=False),
        Binding("enter", "edit", "Edit", show=False, priority=True),
    ]

    def __init__(self, pending: list[SteeringView]) -> None:
        super().__init__()
        self._pending = pending

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog pending"):
            yield Label("Pending steering", classes="dialog-title")
            options = OptionList(id="pending-list")
            for item in self._pending:
                when = delivery_text(item.delivery)
                options.add_option(
                    Option(
                        Content.from_markup(
                            "[b]$id[/] [$text-muted]($when, from $source)[/]\n$text",
                            id=item.id,
                            when=when,
                            source=item.source,
                            text=one_line(item.text, 300),
                        )
                    )
                )
            yield options
            yield Static("Enter edit · x cancel it · Esc close", classes="dialog-note")

    def on_mount(self) -> None:
        box = self.query_one("#pending-list", OptionList)
        box.highlighted = 0 if self._pending else None
        box.focus()

    def _chosen(self, action: str) -> None:
        index = self.query_one("#pending-list", OptionList).highlighted
        if index is not None and index < len(self._pending):
            self.dismiss(PendingChoice(self._pending[index].id, action))

    def action_edit(self) -> None:
        self._chosen("edit")

    def action_cancel_steering(self) -> None:
        self._chosen("cancel")

    def action_close(self) -> None:
        self.dismiss(None)
