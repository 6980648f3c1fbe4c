"""Steering text that cannot be sent (empty, or longer than the engine takes) is refused
where it is typed, with the reason, and nothing the user wrote is lost: the steer
dialog stays open with the text, and `jitskit control` says why before sending."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from click.testing import CliRunner
from textual import events
from textual.widgets import Static, TextArea

from jitskit_tui.cli.main import cli
from jitskit_tui.protocol.controls import STEER_TEXT_MAX
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.screens.steering import SteerDialog, SteeringDraft

Until = Callable[..., Awaitable[None]]
TOO_LONG = "x" * (STEER_TEXT_MAX + 1)


def test_the_command_line_refuses_empty_and_oversized_steering(recorded: Path) -> None:
    runner = CliRunner()
    for args in (
        ["steer", TOO_LONG],
        ["steer", "   "],
        ["edit-steer", "abc", TOO_LONG],
    ):
        done = runner.invoke(cli, ["control", str(recorded), *args])
        assert done.exit_code == 2, done.output
        assert "steering text is" in done.output
        assert "internal error" not in done.output and "Traceback" not in done.output
    long_one = runner.invoke(cli, ["control", str(recorded), "steer", TOO_LONG])
    assert f"{STEER_TEXT_MAX:,} allowed" in long_one.output


async def test_the_steer_dialog_keeps_an_oversized_text_and_says_why(
    recorded: Path, until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app, JitskitApp)
        await until(pilot, lambda: bool(app.feeds))
        answers: list[SteeringDraft | None] = []
        app.push_screen(SteerDialog(draft=SteeringDraft(TOO_LONG, "next-tool")), answers.append)
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press("enter")
        await pilot.pause(0.2)
        dialog = app.screen
        assert isinstance(dialog, SteerDialog) and answers == []
        assert dialog.query_one("#steer-text", TextArea).text == TOO_LONG
        note = str(dialog.query_one("#steer-note", Static).render())
        assert f"{STEER_TEXT_MAX:,} allowed" in note


async def test_enter_sends_exactly_what_was_typed_and_ctrl_j_breaks_the_line(
    recorded: Path, until: Until
) -> None:
    # Enter and Ctrl+J are handled by the text itself, in the order the keys came, so a
    # key typed just before Enter is never left out of what is sent.
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app, JitskitApp)
        await until(pilot, lambda: bool(app.feeds))
        answers: list[SteeringDraft | None] = []
        app.push_screen(SteerDialog(), answers.append)
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press(*"Use fewer", "ctrl+j", *"shards", "enter")
        await until(pilot, lambda: bool(answers))
        assert answers == [SteeringDraft("Use fewer\nshards", "next-iteration")]

        # From the delivery checkbox, Enter sends as well (what the checkbox says).
        answers.clear()
        draft = SteeringDraft("Try a seqlock", "next-iteration")
        app.push_screen(SteerDialog(draft=draft), answers.append)
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press("tab", "space", "enter")
        await until(pilot, lambda: bool(answers))
        assert answers == [SteeringDraft("Try a seqlock", "next-tool")]


async def test_keys_arriving_in_one_burst_are_all_in_the_text_that_is_sent(
    recorded: Path, until: Until
) -> None:
    # As a terminal delivers a fast typist's keys (or tmux's): all posted at once, Enter
    # last. Every character must be inserted before Enter reads the text.
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app, JitskitApp)
        await until(pilot, lambda: bool(app.feeds))
        answers: list[SteeringDraft | None] = []
        app.push_screen(SteerDialog(), answers.append)
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.pause(0.1)
        for char in "Use fewer shards":
            app.post_message(events.Key(char if char != " " else "space", char))
        app.post_message(events.Key("enter", "\r"))
        await until(pilot, lambda: bool(answers))
        assert answers == [SteeringDraft("Use fewer shards", "next-iteration")]
