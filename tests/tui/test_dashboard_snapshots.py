"""What the run dashboard and the runs browser look like, at 80x24 and 160x48, on the
recorded run (fed from its log: no live numbers, no clock).

Update after a deliberate change with ``pytest tests/tui --snapshot-update``, having
looked at the new pictures (the failure report shows both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import trials_upto
from recording import FAST_RUNS
from textual.pilot import Pilot

from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.screens.runs import RunsScreen
from jitskit_tui.tui.screens.steering import SteerDialog, SteeringDraft
from jitskit_tui.tui.widgets.charts import RunChart
from jitskit_tui.tui.widgets.diff_pane import DiffPane

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (160, 48)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


Until = Callable[..., Awaitable[None]]


def replayed(wait_until: Until, *keys: str) -> Callable[[Pilot[object]], Awaitable[None]]:
    """Waits for the replay to be folded, presses ``keys``, waits for what they show."""

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, JitskitApp)
        await wait_until(
            pilot, lambda: bool(app.feeds) and all(s.link.ended for s in app.feeds.values())
        )
        for key in keys:
            await pilot.press(key)
        screen = app.screen
        if isinstance(screen, DashboardScreen):
            diff = screen.query_one(DiffPane)
            await wait_until(pilot, lambda: diff.target is None or diff.view.parsed is not None)
            charts = [c for c in screen.query(RunChart) if c.display and c.region.area]
            await wait_until(pilot, lambda: all(not c._dirty for c in charts))
            # The transcript has scrolled to its tail (a long log takes a few frames).
            shown = screen.transcript
            await wait_until(
                pilot, lambda: not shown.display or shown.scroll_y >= shown.max_scroll_y
            )
        await pilot.pause(0.2)

    return run_before


@size_ids
def test_dashboard_during_a_benchmark(
    snap_compare: SnapCompare, mid_run: Path, size: tuple[int, int], until: Until
) -> None:
    app = make_app(mid_run, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until))


@size_ids
def test_dashboard_diff_against_the_parent(
    snap_compare: SnapCompare, recorded: Path, size: tuple[int, int], until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until, "up", "2"))


@size_ids
def test_dashboard_charts(
    snap_compare: SnapCompare, recorded: Path, size: tuple[int, int], until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until, "up", "3"))


@size_ids
def test_dashboard_of_a_run_with_trials(
    snap_compare: SnapCompare, trials_recorded: Path, size: tuple[int, int], until: Until
) -> None:
    """Decisions, ratios with their intervals, the headline and the fallback notice."""
    app = make_app(trials_recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until, "up"))


@size_ids
def test_dashboard_charts_of_a_run_with_trials(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int], until: Until
) -> None:
    """Whiskers per iteration; the live chart's trials, sides and warm-up (iteration 4)."""
    run = trials_upto(tmp_path, lambda e: e["type"] == "bench_result" and e.get("iteration") == 4)
    app = make_app(run, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until, "3"))


@size_ids
def test_dashboard_gates_and_audit(
    snap_compare: SnapCompare, recorded: Path, size: tuple[int, int], until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until, "4"))


@size_ids
def test_dashboard_logs(
    snap_compare: SnapCompare, recorded: Path, size: tuple[int, int], until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=replayed(until, "5"))


@size_ids
def test_runs_browser(
    snap_compare: SnapCompare,
    recorded: Path,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
    until: Until,
) -> None:
    monkeypatch.chdir(recorded.parent.parent)

    async def run_before(pilot: Pilot[object]) -> None:
        await replayed(until, "f5")(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RunsScreen)
        await until(pilot, lambda: bool(screen.runs))

    app = make_app(recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@size_ids
def test_start_run_dialog(
    snap_compare: SnapCompare, tiny_card: Path, size: tuple[int, int], until: Until
) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, JitskitApp)
        await until(pilot, lambda: app.editor is not None and app.editor.check is not None)
        await pilot.press("ctrl+r")
        await pilot.pause(0.5)

    # No trajectory path: an absolute one would differ from checkout to checkout.
    defaults = replace(FAST_RUNS, agent_options={"pace": "instant"})
    app = make_app(tiny_card, cursor_blink=False, run_defaults=defaults)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@size_ids
def test_steer_dialog(
    snap_compare: SnapCompare, recorded: Path, size: tuple[int, int], until: Until
) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await replayed(until)(pilot)
        draft = SteeringDraft("Try a seqlock per bucket for reads.", "next-tool")
        pilot.app.push_screen(SteerDialog(draft=draft))
        await pilot.pause(0.3)

    app = make_app(recorded, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
