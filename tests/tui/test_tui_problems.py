"""Jumping from a problem to its place in the text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.screens.editor import EditorScreen

Settle = Callable[[Pilot[object]], Awaitable[None]]


async def test_enter_on_a_problem_puts_the_cursor_on_it(broken_card: Path, settle: Settle) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        await pilot.press("escape")  # leaves the editor for the problems list
        assert app.focused is screen.problems
        await pilot.press("down", "enter")
        assert screen.editor.cursor_location == (12, 2)  # 13:3, value_size
        assert app.focused is screen.editor


async def test_clicking_a_problem_jumps_to_it(broken_card: Path, settle: Settle) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        problems = screen.problems
        # Below the top border, 9:1 takes one row and 13:3 wraps to four or five at this
        # width; the third problem (14:3, thredas) wraps to two, so row 7 is within it.
        await pilot.click(problems, offset=(8, 7))
        await pilot.pause()
        assert screen.editor.cursor_location == (13, 2)


async def test_f8_walks_through_the_problems_and_wraps(broken_card: Path, settle: Settle) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        seen = []
        for _ in range(4):
            await pilot.press("f8")
            seen.append(screen.editor.cursor_location)
        assert seen == [(8, 0), (12, 2), (13, 2), (8, 0)]
        await pilot.press("shift+f8")
        assert screen.editor.cursor_location == (13, 2)
        assert screen.problems.highlighted == 2


async def test_a_stale_problem_past_the_end_lands_on_the_last_line(
    broken_card: Path, settle: Settle
) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        issue = screen.problems.issues[2]
        screen.editor.load_text("name: x\n")
        screen.jump_to(issue)
        assert screen.editor.cursor_location == (1, 0)


async def test_ctrl_home_and_ctrl_end_go_to_the_ends_of_the_card(
    broken_card: Path, settle: Settle
) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        await pilot.press("ctrl+end")
        assert screen.editor.cursor_location == (14, 0)
        await pilot.press("ctrl+home")
        assert screen.editor.cursor_location == (0, 0)


async def test_esc_goes_to_the_summary_when_it_replaces_the_problems(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        await pilot.press("f2", "escape")
        assert app.focused is screen.query_one("#summary")
