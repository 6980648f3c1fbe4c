"""Opening a card: the cards in specs/ with their one-line summary, or a typed path."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from jitskit_tui.paths import default_spec
from jitskit_tui.spec import SpecError, load_spec
from jitskit_tui.tui.card_file import display_path


@dataclass(frozen=True)
class CardEntry:
    """One card in the library: its file and a line about it (or why it is invalid)."""

    path: Path
    line: str
    valid: bool


def cards_folder() -> Path:
    """``specs/`` here when there is one, else the shipped cards."""
    return default_spec().parent


def library(folder: Path) -> list[CardEntry]:
    """Every ``*.yaml`` card in ``folder``, sorted by name, each validated."""
    entries = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            spec = load_spec(path)
        except SpecError as err:
            count = len(err.issues)
            first = err.issues[0].message if err.issues else ""
            entries.append(
                CardEntry(path, f"✗ {count} problem{'s' if count != 1 else ''}: {first}", False)
            )
            continue
        entries.append(CardEntry(path, spec.summary(), True))
    return entries


def _looks_like_path(text: str) -> bool:
    return any(s in text for s in ("/", "~")) or text.endswith((".yaml", ".yml"))


class CardPicker(ModalScreen[Path | None]):
    """Type to filter the list; Enter opens the highlighted card, or the path typed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, current: Path) -> None:
        super().__init__()
        self._current = current
        self._folder = cards_folder()
        self._entries: list[CardEntry] = []
        self._shown: list[CardEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(f"Open a card from {display_path(self._folder)}/", classes="dialog-title")
            yield Input(placeholder="filter, or a path such as ~/cards/new.yaml", id="query")
            yield OptionList(id="cards")
            yield Static(
                "↑↓ choose · Enter open · a path opens that file (a new one if missing) · Esc",
                id="picker-note",
                classes="dialog-note",
            )

    def on_mount(self) -> None:
        self.query_one("#cards", OptionList).loading = True
        self.run_worker(self._load(), exit_on_error=False)

    async def _load(self) -> None:
        self._entries = await asyncio.to_thread(library, self._folder)
        cards = self.query_one("#cards", OptionList)
        cards.loading = False
        self._refilter(self.query_one("#query", Input).value)

    def _refilter(self, query: str) -> None:
        needle = query.strip().lower()
        self._shown = [
            e
            for e in self._entries
            if not needle or needle in e.path.name.lower() or needle in e.line.lower()
        ]
        cards = self.query_one("#cards", OptionList)
        cards.clear_options()
        cards.add_options(
            Option(
                Content.from_markup(
                    "[b]$name[/]\n[$text-muted]$line[/]"
                    if entry.valid
                    else "[b]$name[/]\n[$text-error]$line[/]",
                    name=entry.path.stem,
                    line=entry.line,
                )
            )
            for entry in self._shown
        )
        if self._shown:
            current = next(
                (i for i, e in enumerate(self._shown) if e.path.name == self._current.name), 0
            )
            cards.highlighted = current

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        if not _looks_like_path(event.value):
            self._refilter(event.value)

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text and (_looks_like_path(text) or not self._shown):
            self.dismiss(Path(text).expanduser())
            return
        self._open_highlighted()

    @on(OptionList.OptionSelected, "#cards")
    def _chosen(self) -> None:
        self._open_highlighted()

    def on_key(self, event: Key) -> None:
        # Up and down move through the list while typing in the filter.
        cards = self.query_one("#cards", OptionList)
        if self.focused is self.query_one("#query", Input) and event.key in ("up", "down"):
            event.stop()
            if event.key == "down":
                cards.action_cursor_down()
            else:
                cards.action_cursor_up()

    def _open_highlighted(self) -> None:
        cards = self.query_one("#cards", OptionList)
        if cards.highlighted is not None and cards.highlighted < len(self._shown):
            self.dismiss(self._shown[cards.highlighted].path)

    def action_cancel(self) -> None:
        self.dismiss(None)
