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
    BESIDE_KEYS,
    CHART_KEYS,
    DIFF_KEYS,
    EDITING_KEYS,
    EDITOR_KEYS,
    ITERATION_KEYS,
    PALETTE_KEYS,
    PROBLEM_KEYS,
    RUN_KEYS,
    RUNS_KEYS,
    SWEEP_KEYS,
    TRANSCRIPT_KEYS,
    KeyArea,
)

AREAS: tuple[KeyArea, ...] = (
    APP_KEYS,
    PALETTE_KEYS,
    EDITOR_KEYS,
    PROBLEM_KEYS,
    EDITING_KEYS,
    RUN_KEYS,
    ITERATION_KEYS,
    TRANSCRIPT_KEYS,
    DIFF_KEYS,
    CHART_KEYS,
    RUNS_KEYS,
    SWEEP_KEYS,
    BESIDE_KEYS,
)

ABOUT = (
    "The card is checked 0.3 s after you stop typing. Each problem is listed by "
    "line:column and tinted in the editor; Enter on a problem (or F8) puts the cursor "
    "on it. The summary shows the last valid version of the card. Ctrl+R runs it.\n\n"
    "In a run, the top line always shows the loop's state, the iteration against the "
    "budget, tokens and dollars, time and the benchmark machine; under it, the run's "
    "headline (H measures it again) and the selected iteration's throughput with its 95% "
    "interval and its decision. Every ratio carries its interval, ≈ when it is within "
    "noise. < and > (↑↓ in the table) choose an iteration; 1-5 show its transcript, diff, "
    "charts, gates and logs; Tab moves the focus. Steering waits, shown above the footer, "
    "until it is applied; e edits or cancels it until then."
)


def area_rows(area: KeyArea) -> list[tuple[str, str]]:
    """(keys, what they do) for each command; commands without a key say so."""
    return [(c.key_label() or "palette only", c.help) for c in area.commands]


class HelpScreen(ModalScreen[None]):
    """Scrolls on a short terminal; any of Esc, F1, ? or q closes it."""

    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "Close", show=False)]

    def __init__(self, first: tuple[KeyArea, ...] = ()) -> None:
        super().__init__()
        self._areas = (
            APP_KEYS,
            *first,
            *(a for a in AREAS if a not in first and a is not APP_KEYS),
        )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(ABOUT, classes="dialog-text")
                for area in self._areas:
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
