"""The editor is usable at 80x24 and uses a wide terminal: panes by terminal size."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.screens.editor import EditorScreen

Settle = Callable[[Pilot[object]], Awaitable[None]]


async def test_at_80x24_the_editor_sits_above_the_problems(
    broken_card: Path, settle: Settle
) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        editor, problems = screen.editor.region, screen.problems.region
        summary = screen.query_one("#summary")
        assert editor.height >= 12 and editor.width == 80
        assert problems.y >= editor.bottom and problems.height >= 6
        assert not summary.display
        # All three problems are visible at once.
        assert screen.problems.option_count == 3
        assert screen.problems.virtual_size.height <= screen.problems.content_region.height


async def test_f2_swaps_problems_and_summary_on_a_narrow_terminal(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        summary = screen.query_one("#summary")
        await pilot.press("f2")
        await pilot.pause()
        assert summary.display and not screen.problems.display
        assert screen.editor.region.height >= 8
        await pilot.press("f2")
        await pilot.pause()
        assert screen.problems.display and not summary.display


async def test_at_160x48_editor_summary_and_problems_are_side_by_side(
    broken_card: Path, settle: Settle
) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        editor = screen.editor.region
        summary = screen.query_one("#summary").region
        problems = screen.problems.region
        assert editor.right <= summary.x and summary.right <= problems.x
        assert min(editor.height, summary.height, problems.height) >= 40
        assert editor.width >= 60 and problems.width >= 40
        assert not screen.check_action("show_summary", ())


async def test_at_120_columns_summary_and_problems_share_a_column(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        summary = screen.query_one("#summary").region
        problems = screen.problems.region
        assert screen.editor.region.right <= summary.x
        assert summary.x == problems.x and summary.bottom <= problems.y


async def test_resizing_switches_layout_and_a_tiny_terminal_does_not_crash(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditorScreen)
        assert screen.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.has_class("-narrow")
        await pilot.resize_terminal(40, 12)
        await pilot.press("f2", "f1", "escape", "x")
        await settle(pilot)
        assert app.is_running
