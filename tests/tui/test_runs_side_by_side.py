"""The runs browser puts two runs side by side: a naive run is marked as such, m marks
runs and b shows two of them side by side, their stores compared as paired trials in the
background (going on when the screen is closed, announced when done), the result kept in
the naive run's folder and shown by the next app without measuring; two runs that
cannot be compared say why."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import DataTable, ProgressBar, Static

from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.screens.beside import BesideScreen
from jitskit_tui.tui.screens.runs import RunsScreen

from support.beside_runs import BesideRuns

pytestmark = pytest.mark.slow

Until = Callable[..., Awaitable[None]]


def runs_screen(app: JitskitApp) -> RunsScreen:
    assert app.runs_screen is not None
    return app.runs_screen


def rows(app: JitskitApp) -> dict[str, list[str]]:
    table = runs_screen(app).query_one("#runs", DataTable)
    found = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return {row[0].removeprefix("● "): row for row in found}


def text_of(screen: BesideScreen, selector: str) -> str:
    """What a part of the screen shows, as the user reads it (wrapped lines joined)."""
    widget = screen.query_one(selector, Static)
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return " ".join(" ".join(strip.text for strip in lines).split())


async def open_runs(pilot: object, app: JitskitApp, until: Until, count: int) -> None:
    await pilot.press("f5")  # type: ignore[attr-defined]
    await until(pilot, lambda: len(runs_screen(app).runs) == count, what="the runs")


def move_to(app: JitskitApp, name: str) -> None:
    screen = runs_screen(app)
    names = [r.workspace.name for r in screen.runs]
    screen.query_one("#runs", DataTable).move_cursor(row=names.index(name))


async def test_two_marked_runs_side_by_side_measured_in_the_background_then_kept(
    beside_runs: BesideRuns, monkeypatch: pytest.MonkeyPatch, until: Until
) -> None:
    monkeypatch.chdir(beside_runs.card.parent)
    told: list[str] = []

    def hook(message: object) -> None:
        notification = getattr(message, "notification", None)
        if notification is not None:
            told.append(f"{notification.title}: {notification.message}")

    app = make_app(beside_runs.card, cursor_blink=False)
    async with app.run_test(size=(80, 24), notifications=True, message_hook=hook) as pilot:
        await open_runs(pilot, app, until, 2)
        shown = rows(app)
        assert shown["beside-naive"][1] == "tiny · naive"  # seen at 80 columns
        assert shown["beside-pipeline"][1] == "tiny"
        move_to(app, "beside-pipeline")
        await pilot.press("m")
        move_to(app, "beside-naive")
        await pilot.press("m")
        await until(pilot, lambda: all(r[0].startswith("● ") for r in rows(app).values()))
        title = str(runs_screen(app).query_one("#runs-title", Static).render())
        assert "2 marked (b: side by side)" in title

        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BesideScreen), what="the screen")
        screen = app.screen
        assert isinstance(screen, BesideScreen)
        await until(pilot, lambda: screen.pair is not None, what="the runs read")
        # Never measured: it starts measuring at once, with its progress shown.
        measurements = runs_screen(app).measurements
        job = measurements.running()
        assert job is not None and (job.a.ws.name, job.b.ws.name) == (
            "beside-naive",
            "beside-pipeline",
        )
        await until(pilot, lambda: "measuring" in text_of(screen, "#beside-step"))
        assert screen.query_one("#beside-progress", ProgressBar).display
        table = text_of(screen, "#beside-table")
        assert "naive (stores-in-turn)" in table and "pipeline (scripted)" in table
        claims = text_of(screen, "#beside-claims")
        assert "what the naive agent believed, and what the gates found" in claims
        assert "found: failed concurrency" in claims

        # Back to the list: the measurement goes on; opening the pair again shows it.
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert measurements.running() is job
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BesideScreen))
        again = app.screen
        assert isinstance(again, BesideScreen) and again is not screen
        await until(pilot, lambda: again.pair is not None)
        assert measurements.running() is job and len(measurements.jobs) == 1
        await until(pilot, lambda: job.done, what="the measurement", limit=240)
        assert job.error == "", job.error
        await until(pilot, lambda: " = " in text_of(again, "#beside-comparison"))
        result = text_of(again, "#beside-comparison")
        assert result.startswith("beside-pipeline #1 / beside-naive #1 = ")
        assert "kept in workspaces/beside-naive/.jitskit/beside/beside-pipeline.json" in result
        assert not again.query_one("#beside-progress", ProgressBar).display
        assert any(
            t.startswith("beside-pipeline beside beside-naive: beside-pipeline #1 / ") for t in told
        ), told
        kept = beside_runs.naive.state / "beside" / "beside-pipeline.json"
        stamp = kept.stat().st_mtime_ns

    # The next app shows the kept comparison without measuring.
    app = make_app(beside_runs.card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_runs(pilot, app, until, 2)
        move_to(app, "beside-pipeline")
        await pilot.press("b")  # none marked: beside the newest naive run of its card
        await until(pilot, lambda: isinstance(app.screen, BesideScreen))
        screen = app.screen
        assert isinstance(screen, BesideScreen)
        await until(pilot, lambda: " = " in text_of(screen, "#beside-comparison"))
        assert text_of(screen, "#beside-comparison").startswith(result[:50])
        assert "press c to measure again" in text_of(screen, "#beside-comparison")
        assert runs_screen(app).measurements.jobs == {}
        assert kept.stat().st_mtime_ns == stamp


async def test_runs_that_cannot_be_put_side_by_side_say_why(
    beside_runs: BesideRuns,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    until: Until,
) -> None:
    alone = tmp_path / "alone"
    shutil.copytree(beside_runs.naive.root, alone / "workspaces" / "beside-naive")
    monkeypatch.chdir(alone)
    app = make_app(beside_runs.card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_runs(pilot, app, until, 1)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BesideScreen))
        screen = app.screen
        assert isinstance(screen, BesideScreen)
        await until(pilot, lambda: screen.problem != "", what="the refusal")
        said = text_of(screen, "#beside-table")
        assert "These runs cannot be put side by side: no pipeline run of card `tiny`" in said
        assert "jitskit run" in said and "--headless" in said
        await pilot.press("c")  # nothing to measure: it says so again, nothing starts
        await pilot.pause(0.2)
        assert runs_screen(app).measurements.jobs == {}
