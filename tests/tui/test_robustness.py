"""Never crashes on what it is shown: malformed event lines, a missing workspace, a run
deleted while open, an unreachable benchmark machine, a terminal resized to 40x12.
Each gives a message and the app stays up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from recording import FAST_RUNS, TINY, TRAJECTORY
from textual.widgets import Button, Static

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.events import Event, LoopStateChanged
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.screens.baselines import BaselinesDialog
from jitskit_tui.tui.screens.help import HelpScreen
from jitskit_tui.tui.screens.start_run import StartRunDialog
from jitskit_tui.tui.widgets.diff_pane import DiffPane

Until = Callable[..., Awaitable[None]]


def the_feed(app: JitskitApp) -> RunFeed:
    (only,) = app.feeds.values()
    return only


def notes(feed: RunFeed) -> str:
    return "\n".join(b.title for b in feed.view.transcript.blocks)


async def test_malformed_event_lines_become_notes(recorded: Path, until: Until) -> None:
    log = recorded / ".jitskit" / "events.jsonl"
    good = log.read_text()
    impossible = {"type": "iteration_started", "parent_iteration": 0, "step": 1, "branch": "x"}
    log.write_text(
        good
        + "{this is not json\n"
        + json.dumps({"type": "from_the_future", "seq": 999})
        + "\n"
        + json.dumps(impossible)
        + "\n"
        + '{"type": "agent_text", "role": "coder", "te'  # a partial last line
    )
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        feed = the_feed(app)
        text = notes(feed)
        assert "unreadable (not valid JSON)" in text
        assert "unknown event type" in text
        assert "could not be applied" in text
        assert feed.view.state.completed == 3
        assert isinstance(app.screen, DashboardScreen)


async def test_a_missing_workspace_repository_is_a_message_in_the_diff(
    recorded: Path, until: Until
) -> None:
    shutil.rmtree(recorded / ".git")
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        await pilot.press("2")
        message = app.screen.query_one(DiffPane).query_one("#diff-message", Static)
        await until(pilot, lambda: "cannot be made" in str(message.render()), what="message")
        assert "not a git repository" in str(message.render())
        await pilot.press("5")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DashboardScreen)


async def test_a_run_deleted_while_open_says_so_and_stays_up(recorded: Path, until: Until) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        feed = the_feed(app)
        shutil.rmtree(recorded)
        await until(pilot, lambda: feed.link.gone, what="the deletion to be noticed", limit=10)
        assert "was deleted while shown" in notes(feed)
        await pilot.press("2", "up", "5", "4", "3", "1", "R")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DashboardScreen)
        assert "deleted" in feed.link.refusal()


async def test_an_unreachable_benchmark_machine_is_a_message(tiny_card: Path, until: Until) -> None:
    texts: list[str] = []

    def hook(message: object) -> None:
        notification = getattr(message, "notification", None)
        if notification is not None:
            texts.append(notification.message)

    defaults = replace(FAST_RUNS, machine="tcp://127.0.0.1:9")
    app = make_app(tiny_card, cursor_blink=False, run_defaults=defaults)
    async with app.run_test(size=(80, 24), notifications=True, message_hook=hook) as pilot:
        await until(pilot, lambda: app.editor is not None and app.editor.check is not None)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, StartRunDialog))
        await pilot.press("ctrl+s")

        def told() -> bool:
            if any("127.0.0.1:9" in t for t in texts):
                return True
            return bool(app.feeds) and "127.0.0.1:9" in notes(the_feed(app))

        await until(pilot, told, what="a message about the machine", limit=60)
        if app.feeds:  # the engine found out: the run failed, said why, and ended
            await until(pilot, lambda: the_feed(app).link.ended, limit=60)
            assert the_feed(app).view.state.status == "failed"
        assert app.is_running


async def test_a_40x12_terminal_shows_every_screen_without_crashing(
    recorded: Path, until: Until
) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        for pane in "12345":
            await pilot.press(pane)
            await pilot.resize_terminal(40, 12)
            await pilot.pause(0.2)
            await pilot.resize_terminal(160, 48)
            await pilot.pause(0.1)
        await pilot.resize_terminal(40, 12)
        for key in ("f1", "escape", "f5", "f3", "f4"):
            await pilot.press(key)
            await pilot.pause(0.2)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


JITSKIT = Path(sys.executable).with_name("jitskit")


def wait_for(events: Path, predicate: Callable[[Event], bool], limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if events.is_file() and any(predicate(e) for e in read_events(events)):
            return
        time.sleep(0.1)
    raise AssertionError(f"no such event in {events}")


def paused_headless_run(ws: Path) -> subprocess.Popen[bytes]:
    """A run in another process (`jitskit run --headless`), paused so it stays live."""
    args = ["run", str(TINY), "--headless", "--agent", "scripted", "--pace", "instant"]
    args += ["--trajectory", str(TRAJECTORY), "--no-baselines", "--workspace", str(ws)]
    engine = subprocess.Popen(
        [str(JITSKIT), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        events = ws / ".jitskit" / "events.jsonl"
        wait_for(events, lambda e: e.type == "run_started")
        control = [str(JITSKIT), "control", str(ws), "pause"]
        assert subprocess.run(control, capture_output=True, timeout=60).returncode == 0
        wait_for(events, lambda e: isinstance(e, LoopStateChanged) and e.state == "paused")
    except BaseException:
        end(engine)
        raise
    return engine


def end(engine: subprocess.Popen[bytes]) -> None:
    engine.kill()
    engine.wait(timeout=30)


async def test_a_live_run_deleted_while_attached_says_so_and_stays_up(
    tmp_path: Path, until: Until
) -> None:
    ws = tmp_path / "workspaces" / "headless"
    engine = paused_headless_run(ws)
    try:
        app = make_app(ws, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: bool(app.feeds), what="the run to open")
            feed = the_feed(app)
            await until(pilot, lambda: feed.link.controllable, what="the engine to be seen")
            assert feed.link.kind == "attached"
            shutil.rmtree(ws)
            await until(pilot, lambda: feed.link.gone, what="the deletion", limit=10)
            assert "was deleted while shown" in notes(feed)
            for key in ("s", "space", "S", "B", "2", "5", "escape"):
                await pilot.press(key)
                await pilot.pause(0.2)
            assert isinstance(app.screen, DashboardScreen)
            assert app.is_running and "deleted" in feed.link.refusal()
    finally:
        end(engine)


async def test_baselines_of_a_replayed_run_on_an_unreachable_machine_say_so(
    recorded: Path, until: Until
) -> None:
    log = recorded / ".jitskit" / "events.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    started = json.loads(lines[0])
    started["machine"] = "tcp://127.0.0.1:9"
    log.write_text(json.dumps(started) + "\n" + "".join(lines[1:]))
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: bool(app.feeds) and the_feed(app).link.ended)
        await pilot.press("B")  # not live: measured in the dialog, for reading only
        await until(pilot, lambda: isinstance(app.screen, BaselinesDialog), what="the dialog")
        dialog = app.screen
        dialog.query_one("#run", Button).press()
        progress = dialog.query_one("#baseline-progress", Static)
        await until(
            pilot,
            lambda: "127.0.0.1:9" in str(progress.render()),
            what="a message about the machine",
            limit=60,
        )
        assert not dialog.query_one("#run", Button).disabled  # it can be tried again
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert app.is_running
