"""Reviewing a finished run: replayed from its log, read-only, every pane working on the
recorded run (iterations, transcript, diff, charts, gates and audit, logs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Log, OptionList, SelectionList, Static

from jitskit_tui.protocol.events import AgentText, BenchTickEvent
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.screens.baselines import BaselinesDialog
from jitskit_tui.tui.screens.confirm import ProposalDialog
from jitskit_tui.tui.widgets.charts import ChartsPane
from jitskit_tui.tui.widgets.diff_pane import DiffPane
from jitskit_tui.tui.widgets.transcript_view import TranscriptView

Until = Callable[..., Awaitable[None]]


def dashboard(app: JitskitApp) -> DashboardScreen:
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    return screen


def the_feed(app: JitskitApp) -> RunFeed:
    (only,) = app.feeds.values()
    return only


def shown(widget: Static) -> str:
    return str(widget.render())


def transcript_text(view: TranscriptView) -> str:
    """Every line of the transcript as the view wraps it."""
    view.sync(force=True)
    transcript = view._transcript
    assert transcript is not None
    return "\n".join(
        strip.text
        for i, block in enumerate(transcript.blocks)
        for strip in view._block_lines(transcript.dropped + i, block, view._width)
    )


async def open_recorded(pilot: Pilot[object], until: Until) -> DashboardScreen:
    app = pilot.app
    assert isinstance(app, JitskitApp)
    await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended, what="replay")
    screen = dashboard(app)
    await until(pilot, lambda: screen.table.row_count == 3, what="three rows")
    return screen


async def test_a_finished_run_replays_read_only_with_the_best_starred(
    recorded: Path, until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_recorded(pilot, until)
        status = shown(screen.query_one("#status", Static))
        for part in ("STOPPED (finished)", "3/3 iterations", "replay · read-only", "local: "):
            assert part in status
        best = the_feed(app).view.state.best_iteration
        rows = [screen.table.get_row_at(i) for i in range(3)]
        assert [str(r[0]).strip() for r in rows] == [
            f"{n}★" if n == best else str(n) for n in (1, 2, 3)
        ]
        # A log from before decisions: pass or the failed gate, bare figures, the change
        # from the parent (no interval to show).
        assert [str(r[2]) for r in rows] == ["pass", "pass", "✗ build"]
        labels = [str(c.label) for c in screen.table.columns.values()]
        assert labels[2] == "verdict" and labels[5] == "Δprev"
        assert str(rows[1][5]).endswith("%") and not any("[" in str(c) for r in rows for c in r)
        # Read-only: the controls are not offered; resuming is.
        assert screen.check_action("steer", ()) is False
        assert screen.check_action("pause", ()) is False
        assert screen.check_action("resume_run", ()) is True
        await pilot.press("s")
        assert app.screen is screen


async def test_the_transcript_shows_roles_tools_and_applied_steering(
    recorded: Path, until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_recorded(pilot, until)
        text = transcript_text(screen.transcript)
        for part in ("▌ planner", "▌ coder", "▌ critic", "▌ auditor", "── iteration 2"):
            assert part in text
        assert "▸ ✓ write_file store/store.cc" in text
        assert "steering" in text and "handed to the planner (next-iteration)" in text
        assert "handed to the coder (next-tool)" in text
        assert "verdict fail (failed: build)" in text
        # Select a tool call and open it: its input and result appear.
        screen.transcript.focus()
        await pilot.press("home", "right_square_bracket", "enter")
        opened = transcript_text(screen.transcript)
        assert "▾ ✓" in opened and "── result ──" in opened
        await pilot.press("enter")
        assert "── result ──" not in transcript_text(screen.transcript)


async def test_the_transcript_follows_the_tail_until_scrolled_up(
    mid_run: Path, until: Until
) -> None:
    app = make_app(mid_run, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app_feed = None
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        app_feed = the_feed(app)
        view = dashboard(app).transcript

        def stream(lines: int) -> None:
            for i in range(lines):
                app_feed.push(AgentText(role="coder", text=f"line {i}\n", iteration=2))

        stream(60)
        await until(pilot, lambda: view.following and view.scroll_y == view.max_scroll_y)
        view.focus()
        await pilot.press("pageup")
        assert not view.following
        where = view.scroll_y
        stream(60)
        await until(pilot, lambda: app_feed.backlog == 0)
        assert view.scroll_y == where and not view.following
        assert "scrolled up" in shown(dashboard(app).query_one("#panes", Static))
        await pilot.press("end")
        stream(5)
        await until(pilot, lambda: view.scroll_y == view.max_scroll_y and view.following)


async def test_the_diff_against_parent_best_and_a_marked_iteration(
    recorded: Path, until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_recorded(pilot, until)
        diff = screen.query_one(DiffPane)
        title = diff.query_one("#diff-title", Static)
        await pilot.press("up")  # iteration 2
        assert screen.table.selected == 2
        await pilot.press("2")
        await until(pilot, lambda: diff.view.parsed is not None, what="the diff")
        assert "iteration 2 against its parent (iteration 1)" in shown(title)
        files = [f.path for f in diff.view.parsed.files] if diff.view.parsed else []
        assert files[0] == "store/store.cc"
        assert diff.view.parsed is not None and diff.view.parsed.files[0].added == 1
        # Against the best (or told that this is the best).
        await pilot.press("b")
        await pilot.pause(0.3)
        best = the_feed(app).view.state.best_iteration
        if best == 2:
            assert "is the best" in shown(diff.query_one("#diff-message", Static))
        else:
            await until(pilot, lambda: "against the best" in shown(title))
        # Mark iteration 1, select iteration 3: the diff is 3 against 1.
        screen.table.focus()
        await pilot.press("p", "up", "m", "down", "down")
        assert screen.table.marked == 1 and screen.table.selected == 3
        await until(pilot, lambda: "iteration 3 against iteration 1 (marked)" in shown(title))
        # Side by side, and hunk navigation.
        await pilot.press("v")
        assert diff.view.split and "side by side" in shown(title)
        before = diff.view.scroll_y
        await pilot.press("n")
        await pilot.pause()
        assert diff.view.scroll_y != before or diff.view.max_scroll_y == 0
        # The file list beside the diff jumps to a file.
        assert diff.query_one("#diff-files", OptionList).option_count == len(
            diff.view.parsed.files if diff.view.parsed else []
        )


async def test_gates_and_audit_tests_across_iterations_and_the_proposal(
    recorded: Path, until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_recorded(pilot, until)
        await pilot.press("4")
        matrix = screen.query_one("#gate-matrix", DataTable)
        await until(pilot, lambda: matrix.row_count > 4, what="the gate matrix")
        names = [str(matrix.get_row_at(i)[0]) for i in range(matrix.row_count)]
        assert names[0] == "build"
        assert any(n.startswith("audit/rmw-adds-up [gate]") for n in names)
        build = matrix.get_row_at(0)
        assert [str(c).strip() for c in build[1:]] == ["✓", "✓", "✗"]
        # The detail of the cell under the cursor.
        matrix.move_cursor(row=0, column=3)
        await pilot.pause()
        detail = shown(screen.query_one("#gate-detail", Static))
        assert "iteration 3 · build FAILED" in detail
        # The proposal: pending, opened read-only (the run is not live).
        proposals = screen.query_one("#proposals", OptionList)
        assert "pending" in str(proposals.get_option_at_index(0).prompt)
        proposals.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ProposalDialog), what="the proposal")
        dialog = app.screen
        assert isinstance(dialog, ProposalDialog)
        assert dialog.query_one("#approve").disabled
        await pilot.press("escape")


async def test_the_logs_of_the_selected_iteration(recorded: Path, until: Until) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_recorded(pilot, until)
        await pilot.press("5")
        files = screen.query_one("#log-files", OptionList)
        await until(pilot, lambda: files.option_count > 0, what="the log list")
        names = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert names[0] == "iteration-build"
        text = "\n".join(screen.query_one("#log-text", Log).lines)
        assert "g++" in text and "broken.cc" in text  # iteration 3's failed build


async def test_charts_redraw_at_a_bounded_rate_however_fast_ticks_come(
    mid_run: Path, until: Until
) -> None:
    app = make_app(mid_run, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        screen = dashboard(app)
        await pilot.press("3")
        charts = screen.query_one(ChartsPane)
        await until(pilot, lambda: all(c.draws > 0 for c in charts.charts), what="charts")
        live = charts.charts[0]
        before = live.draws
        feed = the_feed(app)
        for i in range(2000):
            feed.push(
                BenchTickEvent(
                    purpose="iteration", t_s=5 + i / 1000, ops=i, ops_s=1e6 + i, iteration=2
                )
            )
        await pilot.pause(1.2)
        assert 1 <= live.draws - before <= 4  # at most every 0.5 s, not 2000 times
        assert feed.view.live is not None and feed.view.live.tick_count


async def test_run_baselines_lists_the_comparable_ones(recorded: Path, until: Until) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_recorded(pilot, until)
        await pilot.press("B")
        await until(pilot, lambda: isinstance(app.screen, BaselinesDialog), what="the dialog")
        choice = app.screen.query_one(SelectionList)
        names = {str(choice.get_option_at_index(i).prompt) for i in range(choice.option_count)}
        # The tiny card needs no durability and no scans: every baseline is comparable.
        assert {"rocksdb", "leveldb", "lmdb", "tbb-chm", "mutex-map"} <= names
        assert set(choice.selected) == names
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
