"""Validation as you type: debounced, every problem by line:column, lines marked, the
summary following the last valid text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.screens.editor import EditorScreen
from jitskit_tui.tui.widgets.summary_panel import SummaryPanel

Settle = Callable[[Pilot[object]], Awaitable[None]]


def _editor(app: object) -> EditorScreen:
    screen = getattr(app, "screen", None)
    assert isinstance(screen, EditorScreen)
    return screen


async def test_opening_a_valid_card_shows_it_valid_with_a_summary(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        editor = _editor(app)
        assert editor.check is not None and editor.check.valid
        assert editor.problems.issues == ()
        summary = app.screen.query_one(SummaryPanel).text
        assert "YCSB-A" in summary and "zipfian 0.99" in summary
        assert "256 MiB of 1 GiB limit" in summary


async def test_every_problem_is_listed_by_line_and_column(
    broken_card: Path, settle: Settle
) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        editor = _editor(app)
        where = [(i.line, i.column) for i in editor.problems.issues]
        assert where == [(9, 1), (13, 3), (14, 3)]
        assert "did you mean `threads`" in editor.problems.issues[2].message
        assert editor.editor.problem_lines == (8, 12, 13)


async def test_typing_an_error_shows_it_after_the_debounce(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        editor = _editor(app)
        # Line 27 is "  threads: 2"; replace the 2 with a word.
        editor.editor.move_cursor((26, 12))
        await pilot.press("backspace", *"two")
        await pilot.pause()
        assert editor.check is not None and editor.check.valid, "checked before the debounce"
        await settle(pilot)
        (issue,) = editor.problems.issues
        assert (issue.line, issue.column) == (27, 3)
        assert "threads" in issue.message
        assert editor.editor.problem_lines == (26,)


async def test_a_burst_of_typing_is_checked_once(demo_card: Path, settle: Settle) -> None:
    app = make_app(demo_card, cursor_blink=False)
    checks: list[object] = []
    async with app.run_test() as pilot:
        await settle(pilot)
        editor = _editor(app)
        original = editor._apply_check

        def counting(result: object) -> None:
            checks.append(result)
            original(result)  # type: ignore[arg-type]

        editor._apply_check = counting  # type: ignore[method-assign]
        editor.editor.move_cursor((2, 10))
        await pilot.press(*"-cache")
        await settle(pilot)
        assert len(checks) == 1
        assert editor.check is not None and editor.check.spec is not None
        assert editor.check.spec.name == "demo-cache"


async def test_summary_follows_every_valid_parse_and_greys_out_when_invalid(
    demo_card: Path, settle: Settle
) -> None:
    app = make_app(demo_card, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        editor = _editor(app)
        panel = app.screen.query_one(SummaryPanel)
        editor.editor.move_cursor((26, 12))
        await pilot.press("backspace", "4")
        await settle(pilot)
        assert "4 on 2 CPUs" in app.screen.query_one(SummaryPanel).text
        assert not panel.has_class("-stale")

        await pilot.press("x")
        await settle(pilot)
        assert panel.has_class("-stale")
        assert panel.border_title == "Summary (last valid)"
        assert "4 on 2 CPUs" in app.screen.query_one(SummaryPanel).text


async def test_status_line_shows_cursor_and_validity(broken_card: Path, settle: Settle) -> None:
    app = make_app(broken_card, cursor_blink=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        subtitle = str(_editor(app).editor.border_subtitle)
        assert "Ln 1, Col 1" in subtitle and "3 problems" in subtitle
