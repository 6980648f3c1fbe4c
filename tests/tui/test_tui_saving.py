"""Saving: atomic, never losing the buffer, a dirty marker, asking before dropping text."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.screens.dialogs import SaveAsPrompt, UnsavedChanges
from jitskit_tui.tui.screens.editor import EditorScreen

Settle = Callable[[Pilot[object]], Awaitable[None]]


def read(path: Path) -> str:
    return path.read_text()


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def hidden_files(folder: Path) -> list[str]:
    """Leftovers such as an atomic save's temporary file."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _screen(app: object) -> EditorScreen:
    editor = getattr(app, "editor", None)
    assert isinstance(editor, EditorScreen)
    return editor


async def test_ctrl_s_writes_the_file_and_clears_the_dirty_marker(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = _screen(app)
        screen.editor.move_cursor((2, 10))
        await pilot.press(*"-v2")
        assert screen.dirty
        assert "●" in (screen.sub_title or "")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not screen.dirty
        assert "●" not in (screen.sub_title or "")
        assert "name: demo-v2\n" in read(demo_card)
        leftovers = hidden_files(demo_card.parent)
        assert leftovers == [], "the temporary file must be renamed over the card"


async def test_a_failed_save_keeps_the_text_and_says_why(
    demo_card: Path, monkeypatch: pytest.MonkeyPatch, settle: Settle
) -> None:
    before = read(demo_card)

    def disk_full(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    app = make_app(demo_card, cursor_blink=False)
    notes: list[str] = []

    def hook(message: object) -> None:
        notification = getattr(message, "notification", None)
        if notification is not None:
            notes.append(notification.message)

    async with app.run_test(notifications=True, message_hook=hook) as pilot:
        await settle(pilot)
        screen = _screen(app)
        screen.editor.move_cursor((2, 10))
        await pilot.press(*"-v2")
        monkeypatch.setattr(os, "replace", disk_full)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.dirty
        assert "name: demo-v2" in screen.editor.text
        assert any("No space left on device" in n and "still in the editor" in n for n in notes)
    assert read(demo_card) == before
    assert hidden_files(demo_card.parent) == []


async def test_save_as_writes_elsewhere_and_edits_that_file(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = _screen(app)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, SaveAsPrompt)
        await pilot.press("ctrl+u", *"specs/copy.yaml", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert screen.path == Path("specs/copy.yaml")
        assert read(Path("specs/copy.yaml")) == read(demo_card)
        assert "specs/copy.yaml" in (screen.sub_title or "")


async def test_save_as_asks_before_replacing_another_file(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f12", "ctrl+u", *"specs/broken.yaml", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveAsPrompt), "one Enter must not replace a file"
        await pilot.press("enter")
        await settle(pilot)
        assert read(Path("specs/broken.yaml")) == read(demo_card)


async def test_quitting_with_unsaved_changes_asks_and_cancel_keeps_editing(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = _screen(app)
        await pilot.press("x")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChanges)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and app.is_running
        assert screen.editor.text.startswith("x")


async def test_quitting_dirty_then_discard_exits_without_writing(
    demo_card: Path, settle: Settle
) -> None:
    before = read(demo_card)
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("x", "ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await settle(pilot)
    assert app.return_code == 0
    assert read(demo_card) == before


async def test_quitting_dirty_then_save_writes_and_exits(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("x", "ctrl+q")
        await pilot.pause()
        await pilot.press("s")
        await settle(pilot)
    assert read(demo_card).startswith("x#")


async def test_quitting_a_clean_card_does_not_ask(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_an_unreadable_card_is_never_saved_over(
    cards: Path, monkeypatch: pytest.MonkeyPatch, settle: Settle
) -> None:
    card = Path("specs/binary.yaml")
    write_bytes(card, b"name: x\x00\xff")
    app = make_app(card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press(*"name: y", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveAsPrompt)
        await pilot.press("escape")
        await settle(pilot)
    assert read_bytes(card) == b"name: x\x00\xff"
