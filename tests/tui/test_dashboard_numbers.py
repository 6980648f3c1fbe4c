"""The dashboard's numbers, as a user reads them: every ratio with its 95% interval
(`2.21x [2.05-2.38]`, with the times sign and an en dash), `≈` within noise, each
iteration's decision, the headline (marked once the best moves on), the best falling
back, a busy machine, the driver's floor, whiskers on the per-iteration chart and trials,
sides and the cut warm-up on the live one. On the recorded run with trials
(`recording_trials.py`: first, new best, a failed build, within noise, slower, then the
best falls back from #2 to #1), and on the run recorded before trials, which still shows
its bare figures."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from conftest import Told, trials_upto, wait_for_replay, wait_until
from recording_trials import RECORDED_TRIALS
from textual.pilot import Pilot
from textual.widgets import Static

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.events import (
    BenchResult,
    BestFellBack,
    HeadlineMeasured,
    IterationFinished,
)
from jitskit_tui.protocol.texts import (
    RANGE_DASH,
    TIMES,
    headline_text,
    interval_ratio_text,
    throughput_text,
)
from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.run.formatting import compact
from jitskit_tui.tui.widgets.live_chart import LiveOpsChart
from jitskit_tui.tui.widgets.run_summary import RunSummary
from jitskit_tui.tui.widgets.throughput_chart import ThroughputChart, iteration_whiskers

Until = Callable[..., Awaitable[None]]

EVENTS = read_events(RECORDED_TRIALS / "events.jsonl")
RATIO = re.compile(rf"^(≈ )?[\d.]+{TIMES} \[[\d.]+{RANGE_DASH}[\d.]+\]$")
"""A ratio as the table shows it: ``2.21x [2.05-2.38]``, ``≈ 1.01x [0.97-1.05]``."""


def finished(n: int) -> IterationFinished:
    return next(e for e in EVENTS if isinstance(e, IterationFinished) and e.iteration == n)


def bench(n: int) -> BenchResult:
    return next(
        e
        for e in EVENTS
        if isinstance(e, BenchResult) and e.purpose == "iteration" and e.iteration == n
    )


@asynccontextmanager
async def replayed(
    run: Path, size: tuple[int, int], rows: int, told: Told | None = None
) -> AsyncIterator[tuple[Pilot[object], DashboardScreen, RunFeed]]:
    """The app on ``run``'s dashboard, once the replay is folded and its ``rows``
    iterations are listed: its pilot, the dashboard and the run's feed."""
    app = make_app(run, cursor_blink=False)
    async with app.run_test(size=size, notifications=True, message_hook=told) as pilot:
        await wait_for_replay(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await wait_until(pilot, lambda: screen.table.row_count == rows, what=f"{rows} rows")
        (feed,) = app.feeds.values()
        yield pilot, screen, feed


def cells(screen: DashboardScreen, n: int) -> list[str]:
    return [str(cell) for cell in screen.table.get_row_at(n - 1)]


def summary(screen: DashboardScreen) -> str:
    return str(screen.query_one(RunSummary).render())


async def select(pilot: Pilot[object], screen: DashboardScreen, n: int) -> None:
    screen.table.move_cursor(row=n - 1)
    await pilot.pause()


async def drawn(pilot: Pilot[object], until: Until, chart: LiveOpsChart | ThroughputChart) -> str:
    await until(pilot, lambda: not chart._dirty and chart.draws > 0, what=f"{chart.title}")
    return str(chart.render())


async def test_each_row_shows_its_decision_and_its_ratios_with_their_intervals(
    trials_recorded: Path, until: Until
) -> None:
    async with replayed(trials_recorded, (160, 48), 5) as (_pilot, screen, _feed):
        labels = [str(c.label) for c in screen.table.columns.values()]
        assert labels[2:] == ["decision", "ops/s", "vs mutex-map", "vs best"]
        rows = {n: cells(screen, n) for n in range(1, 6)}
        assert [rows[n][2] for n in range(1, 6)] == [
            "first",
            "new best",
            "✗ build",
            "≈ noise",
            "slower",
        ]
        # The best starred; #2, which an audit gate failed after it was best, crossed.
        assert rows[1][0].strip() == "1★" and rows[2][0].strip() == "2✗"
        for n in (1, 2, 4, 5):
            paired = finished(n).vs_baseline
            assert paired is not None and paired.paired
            assert RATIO.match(rows[n][4]), rows[n][4]
            assert rows[n][4].endswith(interval_ratio_text(paired.ratio, TIMES))
        assert rows[3][4] == rows[3][5] == "—"  # a failed build has no figure
        won = finished(2).vs_best
        assert won is not None and rows[2][5] == interval_ratio_text(won.ratio, TIMES)
        assert rows[4][5].startswith("≈ ") and RATIO.match(rows[4][5])
        assert RATIO.match(rows[5][5]) and not rows[5][5].startswith("≈")
        # Figures measured on a busy machine carry a mark the tooltip explains.
        busy = [n for n in (1, 2, 4, 5) if bench(n).conditions_warning]
        assert busy and all(rows[n][3].endswith("!") for n in busy)
        assert "! the machine was busy during its trials" in str(screen.table.tooltip)
        assert "with its 95% interval" in str(screen.table.tooltip)


async def test_the_summary_shows_the_headline_the_selected_iteration_and_the_fallback(
    trials_recorded: Path, until: Until
) -> None:
    headline = [e for e in EVENTS if isinstance(e, HeadlineMeasured)][-1]
    async with replayed(trials_recorded, (80, 24), 5) as (pilot, screen, _feed):
        said = summary(screen)
        assert f"headline {headline_text(headline, TIMES)}" in said
        assert f"(#1, full size, held-out seed {headline.seed}) · ★ best #1" in said
        assert "⚠ best fell back from iteration 2 to iteration 1: audit/scan-refused failed" in (
            said
        )
        await select(pilot, screen, 4)
        said = summary(screen)
        result = bench(4)
        assert result.throughput is not None and result.floor_ns_per_op
        line = next(part for part in said.splitlines() if part.startswith("#4"))
        assert throughput_text(result.throughput, compact) in line
        assert f"driver floor {result.floor_ns_per_op:.1f} ns/op" in line
        assert line.endswith("≈ within noise, best stays #2")
        await select(pilot, screen, 5)
        assert "slower, best stays #2; then the best fell back to #1" in summary(screen)
        # A busy machine: marked after the figure it qualifies, said in full in the tooltip.
        busy = next(n for n in (1, 2, 4, 5) if bench(n).conditions_warning)
        await select(pilot, screen, busy)
        line = next(part for part in summary(screen).splitlines() if part.startswith(f"#{busy} "))
        figure = throughput_text(bench(busy).throughput, compact)
        assert f"#{busy} {figure} ⚠ busy machine" in line, line
        assert bench(busy).conditions_warning in str(screen.query_one(RunSummary).tooltip)


async def test_a_headline_is_marked_once_the_best_has_moved_since(
    tmp_path: Path, until: Until
) -> None:
    # Cut after the best fell back from #2, before the run's final headline (of #1).
    run = trials_upto(tmp_path, lambda e: e["type"] == "best_fell_back")
    first = next(e for e in EVENTS if isinstance(e, HeadlineMeasured))
    async with replayed(run, (160, 48), 5) as (_pilot, screen, _feed):
        said = summary(screen).splitlines()[0]
        assert said.startswith(f"headline {headline_text(first, TIMES)} is of #2")
        assert "the best is #1 now (`jitskit confirm " in said
        assert said.endswith("measures it)")


async def test_the_per_iteration_chart_draws_each_interval_as_a_whisker(
    trials_recorded: Path, until: Until
) -> None:
    async with replayed(trials_recorded, (160, 48), 5) as (pilot, screen, feed):
        await pilot.press("3")
        chart = screen.query_one(ThroughputChart)
        picture = await drawn(pilot, until, chart)
        whiskers = iteration_whiskers(feed.view)
        own = [w for w in whiskers if w.marker == "●"]
        beside = [w for w in whiskers if w.marker == "◆"]
        assert [w.x for w in own] == [1, 2, 4, 5]
        assert len(beside) == 4  # mutex-map, measured beside every passing candidate
        for w in own + beside:
            assert w.low is not None and w.high is not None and w.low < w.point < w.high
        for n, w in zip((1, 2, 4, 5), own, strict=True):
            interval = bench(n).throughput
            assert interval is not None and (w.low, w.high) == (interval.ci_low, interval.ci_high)
        assert "ops/s per iteration, 95% intervals" in picture
        assert "●" in picture and "◆" in picture
        assert re.search("[\u2801-\u28ff]", picture), "no whisker drawn"
        assert "mutex-map cached 5.00M, unpaired" in picture


async def test_the_live_chart_marks_each_trial_its_side_and_its_cut_warm_up(
    tmp_path: Path, until: Until
) -> None:
    # Iteration 2's evaluation: five rounds of the candidate, the best (#1) and mutex-map.
    run = trials_upto(tmp_path, lambda e: e["type"] == "bench_result" and e.get("iteration") == 2)
    async with replayed(run, (160, 48), 2) as (pilot, screen, feed):
        chart = screen.query_one("#top-live-chart", LiveOpsChart)
        picture = await drawn(pilot, until, chart)
        live = feed.view.last_ticked
        assert live is not None and live.iteration == 2
        traces = live.traces
        assert {t.side for t in traces} == {"candidate", "incumbent", "baseline:mutex-map"}
        assert sorted({t.trial for t in traces}) == [0, 1, 2, 3, 4]
        assert all(t.warm_until is not None for t in traces), "every trial's warm-up is known"
        starts = [t.start for t in traces]
        assert starts == sorted(starts) and all(
            a.end < b.start for a, b in itertools.pairwise(traces)
        )
        assert "M mutex-map, C candidate, B best #1 · grey: warm-up" in picture
        tags = picture.rstrip().splitlines()[-2].split()
        assert set(tags) == {"M", "C", "B"} and len(tags) >= 10


async def test_the_status_line_names_the_trial_running_now(tmp_path: Path, until: Until) -> None:
    # Cut at the warm-up of the best's third trial in iteration 2's evaluation.
    run = trials_upto(
        tmp_path,
        lambda e: (
            e["type"] == "bench_tick"
            and e.get("iteration") == 2
            and e["side"] == "incumbent"
            and e["trial"] == 2
            and bool(e["warm"])
        ),
    )
    async with replayed(run, (80, 24), 2) as (_pilot, screen, _feed):
        status = str(screen.query_one("#status", Static).render())
        assert status.startswith("● BENCHMARKING (round 3 · best #1 · warm-up)")
        assert "#2 running: benchmarking (round 3 · best #1 · warm-up)" in summary(screen)


async def test_the_best_falling_back_is_told_as_it_happens(tmp_path: Path, until: Until) -> None:
    run = trials_upto(tmp_path, lambda e: e["type"] == "bench_result" and e.get("iteration") == 5)
    back = next(e for e in EVENTS if isinstance(e, BestFellBack))
    told = Told()
    async with replayed(run, (80, 24), 5, told) as (pilot, screen, feed):
        assert "fell back" not in summary(screen)
        feed.push(back.model_copy(update={"ts": time.time()}))
        await until(pilot, lambda: any("The best fell back" in t for t in told.titled))
        notice = next(t for t in told.titled if "The best fell back" in t)
        assert "best fell back from iteration 2 to iteration 1: audit/scan-refused" in notice
        lines = summary(screen).splitlines()
        assert lines[-1].startswith("⚠ best fell back from iteration 2 to iteration 1")
        assert cells(screen, 2)[0].strip() == "2✗" and cells(screen, 1)[0].strip() == "1★"


async def test_a_log_from_before_trials_still_shows_its_bare_figures(
    recorded: Path, until: Until
) -> None:
    async with replayed(recorded, (160, 48), 3) as (pilot, screen, feed):
        await select(pilot, screen, 2)
        said = summary(screen)
        assert said.startswith("no headline yet (`jitskit confirm ")
        line = next(part for part in said.splitlines() if part.startswith("#2"))
        assert "ops/s (one run, no interval)" in line and line.endswith("% vs #1")
        assert "[" not in line
        await pilot.press("3")
        chart = screen.query_one(ThroughputChart)
        picture = await drawn(pilot, until, chart)
        whiskers = iteration_whiskers(feed.view)
        assert whiskers and all(w.low is None and w.high is None for w in whiskers)
        assert "ops/s per iteration ·" in picture and "95%" not in picture
