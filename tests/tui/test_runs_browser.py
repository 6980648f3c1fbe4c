"""The runs browser: past runs with their card, date, iterations, best and status; open
one to review it, resume it in the app, or attach to a run started headless elsewhere
and control it from here."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from recording import FAST_RUNS, TINY, TRAJECTORY, restore, resume_in_app
from textual.widgets import DataTable, Static

from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.screens.confirm import ConfirmDialog
from jitskit_tui.tui.screens.runs import RunsScreen
from jitskit_tui.tui.screens.steering import SteerDialog

Until = Callable[..., Awaitable[None]]
JITSKIT = Path(sys.executable).with_name("jitskit")


def runs_table(app: JitskitApp) -> DataTable[object]:
    screen = app.screen
    assert isinstance(screen, RunsScreen)
    return screen.query_one("#runs", DataTable)


def the_feed(app: JitskitApp) -> RunFeed:
    (only,) = app.feeds.values()
    return only


async def test_the_runs_are_listed_and_one_opens_for_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, until: Until
) -> None:
    monkeypatch.chdir(tmp_path)
    restore(tmp_path / "workspaces" / "tiny-finished")
    crashed_at = 40  # a log that stops mid-run, with no engine holding it
    restore(tmp_path / "workspaces" / "tiny-crashed", upto_seq=crashed_at)
    app = make_app(TINY, cursor_blink=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f5")
        await until(pilot, lambda: runs_table(app).row_count == 2, what="the runs")
        table = runs_table(app)
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(2)}
        finished = [str(c) for c in rows["tiny-finished"]]
        assert finished[1] == "tiny" and finished[3] == "3/3" and finished[6] == "finished"
        assert finished[4].startswith("#") and finished[2][:2] == "20"
        assert str(rows["tiny-crashed"][6]) == "crashed"
        title = str(app.screen.query_one("#runs-title", Static).render())
        assert "2 runs" in title
        names = [str(table.get_row_at(i)[0]) for i in range(2)]
        table.move_cursor(row=names.index("tiny-finished"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        feed = the_feed(app)
        assert feed.link.kind == "replay"
        await until(pilot, lambda: feed.link.ended and feed.view.state.completed == 3)


async def test_a_finished_run_resumes_in_the_app(recorded: Path, until: Until) -> None:
    app = make_app(recorded, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        # The budget is used up: the dialog proposes one more iteration.
        live = await resume_in_app(pilot, until, iterations="4")
        await until(pilot, lambda: live.link.ended, what="iteration 4", limit=120)
        state = live.view.state
        assert state.completed == 4 and state.status == "finished"
        assert len(state.stints) == 2


@pytest.fixture
def headless_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """`jitskit run --headless` in another process, at a pace slow enough to attach."""
    monkeypatch.chdir(tmp_path)
    ws = tmp_path / "workspaces" / "tiny-headless"
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("ANTHROPIC_API_KEY", None)
    proc = subprocess.Popen(
        [
            str(JITSKIT),
            "run",
            str(TINY),
            "--headless",
            "--agent",
            "scripted",
            "--pace",
            "fast",
            "--trajectory",
            str(TRAJECTORY),
            "--no-baselines",
            "--iterations",
            "2",
            "--workspace",
            str(ws),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        yield ws, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


async def test_attach_to_a_headless_run_and_control_it(
    headless_run: tuple[Path, subprocess.Popen[str]], until: Until
) -> None:
    ws, proc = headless_run
    app = make_app(TINY, cursor_blink=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: (ws / ".jitskit" / "run.lock").is_file(), what="the engine")
        await pilot.press("f5")
        await until(pilot, lambda: runs_table(app).row_count == 1, what="the live run")
        assert str(runs_table(app).get_row_at(0)[6]) == "live"
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.feeds), what="attaching")
        feed = the_feed(app)
        assert feed.link.kind == "attached"
        state = feed.view.state
        await until(pilot, lambda: feed.link.controllable and state.run_id != "")
        # Pause it from here; the other process says so in its log.
        await pilot.press("space")
        await until(pilot, lambda: state.loop_state == "paused", what="the pause", limit=60)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press(*"from another terminal", "enter")
        await until(pilot, lambda: len(state.pending_steering()) == 1, what="the steering")
        assert state.pending_steering()[0].source.startswith("tui (pid")
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: state.status == "aborted", what="the abort", limit=60)
        assert proc.wait(timeout=30) == 4  # the headless command's exit code for aborted
        await until(pilot, lambda: not feed.link.controllable, what="the engine to go")
        assert feed.link.describe() in ("attached · engine exited", "attached · no engine")
