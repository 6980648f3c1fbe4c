"""Small modal questions: unsaved changes, and where to save a card."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from jitskit_tui.tui.card_file import display_path

Choice = Literal["save", "discard", "cancel"]


class UnsavedChanges(ModalScreen[Choice]):
    """Save, discard or cancel, before something that would drop the buffer."""

    BINDINGS = [
        Binding("s", "choose('save')", "Save", show=False),
        Binding("d", "choose('discard')", "Discard", show=False),
        Binding("escape,c", "choose('cancel')", "Cancel", show=False),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, shown_path: str, doing: str) -> None:
        super().__init__()
        self._shown_path = shown_path
        self._doing = doing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"{self._shown_path} has unsaved changes.", classes="dialog-title")
            yield Static(f"Save them before {self._doing}?", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Discard", id="discard", variant="error")
                yield Button("Cancel", id="cancel")
            yield Static("s save · d discard · Esc cancel", classes="dialog-note")

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss("save" if choice == "save" else "discard" if choice == "discard" else "cancel")


class SaveAsPrompt(ModalScreen[Path | None]):
    """Asks for a path; replacing another existing file takes a second Enter."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current: Path) -> None:
        super().__init__()
        self._current = current
        self._confirmed: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Save the card as", classes="dialog-title")
            yield Input(display_path(self._current), id="path", select_on_focus=False)
            yield Static(
                "Enter saves, Esc cancels. Relative paths start in the current folder.",
                id="path-note",
                classes="dialog-note",
            )

    @on(Input.Changed)
    def _edited(self) -> None:
        self._confirmed = None
        self._note("Enter saves, Esc cancels. Relative paths start in the current folder.")

    def _note(self, text: str, error: bool = False) -> None:
        note = self.query_one("#path-note", Static)
        note.update(text)
        note.set_class(error, "-error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self._note("Type a path for the card, such as specs/my-card.yaml.", error=True)
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self._note(f"{text} is a folder; add a file name such as card.yaml.", error=True)
            return
        if not path.parent.is_dir():
            self._note(f"Folder {path.parent} does not exist.", error=True)
            return
        same = path.exists() and self._current.exists() and path.samefile(self._current)
        if path.exists() and not same and self._confirmed != path:
            self._confirmed = path
            self._note(f"{text} exists. Enter again replaces it.", error=True)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
