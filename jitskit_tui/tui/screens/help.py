"""F1 / ?: every key, grouped by where it acts, built from the same tables as the bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from jitskit_tui.tui.keymap import (
    APP_KEYS,
    EDITING_KEYS,
    EDITOR_KEYS,
    PALETTE_KEYS,
    PROBLEM_KEYS,
    KeyArea,
)

AREAS: tuple[KeyArea, ...] = (APP_KEYS, PALETTE_KEYS, EDITOR_KEYS, PROBLEM_KEYS, EDITING_KEYS)

ABOUT = (
    "The card is checked 0.3 s after you stop typing. Each problem is listed by "
    "line:column and tinted in the editor; Enter on a problem (or F8) puts the cursor "
    "on it. The summary shows the last valid version of the card."
)


def area_rows(area: KeyArea) -> list[tuple[str, str]]:
    """(keys, what they do) for each command; commands without a key say so."""
    return [(c.key_label() or "palette only", c.help) for c in area.commands]


class HelpScreen(ModalScreen[None]):
    """Scrolls on a short terminal; any of Esc, F1, ? or q closes it."""

    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "Close", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(ABOUT, classes="dialog-text")
                for area in AREAS:
                    yield Label(area.title, classes="help-area")
                    with Grid(classes="help-keys"):
                        for keys, help_text in area_rows(area):
                            yield Static(Content(keys), classes="help-key")
                            yield Static(Content(help_text), classes="help-text")
            yield Static("↑↓ scroll · Esc close", classes="dialog-note")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
