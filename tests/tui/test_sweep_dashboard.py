"""The sweep dashboard (`jitskit tui DIR`, or a sweep in the runs browser): a row per run
that follows the run's log as it grows, with the best's ratio and the run's headline each
with its interval; Enter opens a run's dashboard and F6 comes back;
Space pauses the whole sweep, p one run, S stops the sweep, each through the live sweep's
and runs' own inboxes."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from recording import FAST_RUNS, resume_in_app
from rich.cells import cell_len
from sweeps import RUNS, complete_second, restore_sweep, seq_of, sweep_folder
from textual.widgets import DataTable

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import RunLock, Workspace
from jitskit_tui.launch.choices import RunChoices
from jitskit_tui.protocol.texts import TIMES
from jitskit_tui.sandbox.turns import EvalTurns
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.manifest import load_manifest
from jitskit_tui.sweep.runner import SweepRunner
from jitskit_tui.sweep.setup import SweepChoices, create_sweep
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.screens.runs import RunsScreen
from jitskit_tui.tui.screens.sweep import SweepScreen

from support.demo_run import RATIO, DemoRun, with_interval

Until = Callable[..., Awaitable[None]]
ENGINE_TESTS = Path(__file__).resolve().parent.parent / "engine"
CUT = seq_of("iteration_started", 2)
"""The second run's log is cut here: iteration 1 done, iteration 2 just started."""


def _table(app: JitskitApp) -> DataTable[object]:
    screen = app.screen
    assert isinstance(screen, SweepScreen)
    return screen.query_one("#sweep-runs", DataTable)


def rows(app: JitskitApp) -> list[list[str]]:
    table = _table(app)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def laid_out(app: JitskitApp) -> bool:
    """Every column is as wide as its cells: a DataTable measures the rows it was given
    when it is next idle, and a busy machine can draw a frame before that."""
    table = _table(app)
    cells = rows(app)
    return all(
        column.content_width >= max((cell_len(row[i]) for row in cells), default=0)
        for i, column in enumerate(table.ordered_columns)
    )


async def test_rows_follow_the_runs_logs_and_open_their_dashboards(
    tmp_path: Path, until: Until
) -> None:
    folder = restore_sweep(tmp_path / "sweep", second_upto=CUT)
    second = Workspace(folder.root / RUNS[1])
    engine_lock = RunLock(second)  # as a live engine holds its run
    engine_lock.acquire()
    app = make_app(folder.root, cursor_blink=False)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: len(rows(app)) == 2, what="the rows")
            first, running = rows(app)
            assert first[:3] == ["tiny", "finished", "3/3"] and first[3].startswith("#")
            assert running[1] != "finished" and running[2] == "#2 · 1/3", running

            await asyncio.to_thread(complete_second, folder, CUT)
            await until(pilot, lambda: rows(app)[1][2] == "3/3", what="the second run's end")
            engine_lock.release()
            await until(pilot, lambda: rows(app)[1][1] == "finished", what="its status")

            await pilot.press("down", "enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
            feed = app.dashboard.feed if app.dashboard else None
            assert feed is not None and feed.link.ws.root == second.root
            await pilot.press("f6")
            await until(pilot, lambda: isinstance(app.screen, SweepScreen), what="back")
    finally:
        engine_lock.release()


@pytest.mark.slow
async def test_a_row_shows_the_best_ratio_and_the_headline_with_their_intervals(
    demo_run: DemoRun, tmp_path: Path, until: Until
) -> None:
    """The demo, measured beside the real baselines, as a sweep's run."""
    folder = sweep_folder(tmp_path / "sweep", demo_run.card, [demo_run.ws.name], ended=1)
    (folder.root / demo_run.ws.name).symlink_to(demo_run.ws)
    state = RunState.from_events(read_events(demo_run.events))
    best = state.iterations[state.best_iteration or 0]
    headline = state.headline
    assert best.vs_baseline is not None and best.vs_baseline.paired
    assert headline is not None and headline.headline_comparison is not None
    app = make_app(folder.root, cursor_blink=False)
    async with app.run_test(size=(200, 30)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 1, what="the row")
        (row,) = rows(app)
    # In-loop: the best against the baseline measured beside it; then the headline.
    named = best.vs_baseline.other.removeprefix("baseline:")
    assert row[4] == f"{with_interval(best.vs_baseline.ratio, RATIO, TIMES)} vs {named}", row
    chosen = headline.headline_comparison
    against = chosen.other.removeprefix("baseline:")
    assert row[5] == f"{with_interval(chosen.ratio, RATIO, TIMES)} vs {against}", row


async def test_the_runs_browser_lists_a_sweep_and_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, until: Until
) -> None:
    monkeypatch.chdir(tmp_path)
    restore_sweep(tmp_path / "workspaces" / "sweep-recorded")
    app = make_app(ENGINE_TESTS / "tiny.yaml", cursor_blink=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f5")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one("#runs", DataTable)
        await until(pilot, lambda: table.row_count == 1, what="the sweep")
        listed = [str(cell) for cell in table.get_row_at(0)]
        assert listed[:2] == ["sweep-recorded", "sweep of 2 cards"] and listed[3] == "6/6"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen), what="the sweep screen")
        await until(pilot, lambda: len(rows(app)) == 2, what="its rows")


async def test_keys_pause_a_run_and_pause_and_stop_the_whole_sweep(
    tmp_path: Path, until: Until
) -> None:
    choices = RunChoices(
        agent="scripted",
        agent_options={"pace": "instant", "trajectory": str(ENGINE_TESTS / "trajectory")},
        iterations=3,
        baselines=False,
        seed=7,
    )
    folder, manifest = create_sweep(
        [ENGINE_TESTS / "tiny.yaml", ENGINE_TESTS / "tiny.yaml"],
        SweepChoices(choices, parallel=1),
        tmp_path / "sweep",
    )
    runner = SweepRunner(folder, manifest, control_poll_s=0.05)
    sweep = asyncio.create_task(runner.run())
    first = Workspace(folder.root / manifest.entries[0].workspace)

    def run_state() -> RunState:
        return RunState.from_events(read_events(first.events)) if first.exists() else RunState()

    app = make_app(folder.root, cursor_blink=False)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: rows(app) and rows(app)[0][1] not in ("waiting", "new"))
            await pilot.press("p")  # the selected run alone
            await until(pilot, lambda: run_state().loop_state == "paused", what="run paused")
            await until(pilot, lambda: rows(app)[0][1] == "paused", what="row says paused")
            await pilot.press("p")
            await until(pilot, lambda: run_state().loop_state != "paused", what="run resumed")

            await pilot.press("space")  # the whole sweep
            await until(pilot, lambda: runner._go.is_set() is False, what="sweep paused")
            title = str(app.screen.query_one("#sweep-title").render())
            await until(
                pilot,
                lambda: "live (paused)" in str(app.screen.query_one("#sweep-title").render()),
                what=f"the title to say paused ({title})",
            )
            await pilot.press("S")
            finished = await asyncio.wait_for(sweep, 120)
    finally:
        if not sweep.done():
            sweep.cancel()
    assert finished.status == "stopped"
    assert not Workspace(folder.root / manifest.entries[1].workspace).exists()
    assert load_manifest(SweepFolder(folder.root)).parallel == 1
    shutil.rmtree(folder.root, ignore_errors=True)


async def test_a_run_resumed_from_the_sweep_waits_for_the_sweeps_evaluation_turn(
    tmp_path: Path, until: Until
) -> None:
    """R on a sweep's run resumes it in the app, still one of the sweep's runs on this host:
    while another of them evaluates, it waits and says so, and goes on once the turn is free."""
    folder = restore_sweep(tmp_path / "sweep")
    turns = EvalTurns(folder.turns)
    held: int | None = await turns.take("tiny-second (iteration 4)", "local", None)
    app = make_app(folder.root, cursor_blink=False, run_defaults=FAST_RUNS)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: len(rows(app)) == 2, what="the rows")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
            await until(pilot, lambda: all(f.link.ended for f in app.feeds.values()))
            live = await resume_in_app(pilot, until, iterations="4")
            await until(
                pilot, lambda: live.view.state.loop_state == "queued", what="its wait", limit=120
            )
            assert "tiny-second (iteration 4) is evaluating" in live.view.state.loop_detail
            EvalTurns.give_back(held)
            held = None
            await until(pilot, lambda: live.link.ended, what="iteration 4", limit=120)
            state = live.view.state
            assert (state.completed, state.status) == (4, "finished")
            assert live.link.ws.root == folder.root / RUNS[0]
    finally:
        if held is not None:
            EvalTurns.give_back(held)


SnapCompare = Callable[..., bool]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweep_dashboard(
    snap_compare: SnapCompare,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
    until: Until,
) -> None:
    """A sweep that was killed: one run finished, the other cut in its second iteration."""
    monkeypatch.chdir(tmp_path)
    restore_sweep(Path("sweep"), second_upto=CUT)
    app = make_app(Path("sweep"), cursor_blink=False)

    async def shown(pilot: object) -> None:
        await until(pilot, lambda: len(rows(app)) == 2 and laid_out(app), what="the rows")

    assert snap_compare(app, terminal_size=size, run_before=shown)
