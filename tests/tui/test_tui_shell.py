"""The app frame: help, command palette, opening cards, start-up on a bad path, and the
seam the run dashboard will plug into."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.command import CommandPalette
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.keymap import APP_KEYS, EDITOR_KEYS
from jitskit_tui.tui.messages import RunRequested
from jitskit_tui.tui.screens.editor import EditorScreen
from jitskit_tui.tui.screens.help import HelpScreen
from jitskit_tui.tui.screens.picker import CardPicker

Settle = Callable[[Pilot[object]], Awaitable[None]]


def read(path: Path) -> str:
    return path.read_text()


def write(path: Path, text: str) -> None:
    path.write_text(text)


class Notes:
    """Collects notification texts through the test message hook."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)
        notification = getattr(message, "notification", None)
        if notification is not None:
            self.texts.append(notification.message)


async def test_f1_opens_help_listing_keys_by_area_and_esc_closes(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(s.render()) for s in app.screen.query("Label, Static"))
        for title in ("Anywhere", "Spec editor", "Problems list", "Editing text"):
            assert title in text
        assert "Ctrl+S" in text and "F12" in text and "F8" in text
        await pilot.press("escape")
        assert isinstance(app.screen, EditorScreen)


async def test_question_mark_opens_help_outside_the_text(broken_card: Path, settle: Settle) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_palette_lists_every_action_that_applies(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        shown = {
            str(option.prompt).split("\n")[0] for option in app.screen.query_one(OptionList).options
        }
        expected = {c.title for area in (APP_KEYS, EDITOR_KEYS) for c in area.commands if c.palette}
        # F2 shows the summary; "Problems" is offered only once the summary is shown.
        assert expected - shown == {"Problems"}


async def test_palette_runs_a_command(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"save as")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "SaveAsPrompt"


async def test_a_missing_card_opens_an_empty_editor_with_a_notice(
    cards: Path, settle: Settle
) -> None:
    notes = Notes()
    app = make_app(Path("specs/new.yaml"), cursor_blink=False)
    async with app.run_test(notifications=True, message_hook=notes) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        assert screen.editor.text == ""
        assert any("does not exist yet" in t for t in notes.texts)
        await pilot.press(*"name: new", "ctrl+s")
        await settle(pilot)
    assert read(Path("specs/new.yaml")) == "name: new"


async def test_a_directory_opens_with_an_error_notice(cards: Path, settle: Settle) -> None:
    notes = Notes()
    app = make_app(Path("specs"), cursor_blink=False)
    async with app.run_test(notifications=True, message_hook=notes) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert any("is a directory" in t for t in notes.texts)


async def test_open_lists_the_library_with_summaries_and_opens_one(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, CardPicker)
        options = [str(o.prompt) for o in picker.query_one("#cards", OptionList).options]
        assert len(options) == 4
        assert any("hotspot-counters" in o and "custom" in o for o in options)
        assert any("broken" in o and "3 problems" in o for o in options)
        await pilot.press(*"scans", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        assert screen.path.name == "ycsb-e-short-scans.yaml"
        assert "name: ycsb-e-short-scans" in screen.editor.text
        assert screen.check is not None and screen.check.valid


async def test_open_takes_a_typed_path(demo_card: Path, tmp_path: Path, settle: Settle) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    write(elsewhere, read(Path("specs/hotspot-counters.yaml")))
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#query", Input).value = str(elsewhere)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        assert screen.path == elsewhere


async def test_open_with_unsaved_changes_asks_first(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("x", "ctrl+o")
        await pilot.pause()
        assert type(app.screen).__name__ == "UnsavedChanges"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)


async def test_an_invalid_card_cannot_be_run_and_says_why(
    broken_card: Path, settle: Settle
) -> None:
    notes = Notes()
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test(notifications=True, message_hook=notes) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        assert not screen.request_run()
        await pilot.pause()
        assert any("cannot run: 3 problem(s), first at 9:1" in t for t in notes.texts)
        assert not any(isinstance(m, RunRequested) for m in notes.messages)


async def test_a_valid_saved_card_posts_run_requested(demo_card: Path, settle: Settle) -> None:
    notes = Notes()
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(message_hook=notes) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        assert screen.request_run()
        await pilot.pause()
        # The hook sees the message at each node it bubbles through, up to the app.
        (request,) = {id(m): m for m in notes.messages if isinstance(m, RunRequested)}.values()
        assert request.path == demo_card and request.spec.name == "demo"


def test_tui_help_names_the_things_it_opens() -> None:
    from click.testing import CliRunner

    from jitskit_tui.cli.main import cli

    shown = CliRunner().invoke(cli, ["tui", "--help"], prog_name="jitskit").output
    assert "Usage: jitskit tui [OPTIONS] [SPEC|RUN|SWEEP]" in shown
    assert "RUN is a run: its workspace folder, or its name under workspaces/" in " ".join(
        shown.split()
    )
