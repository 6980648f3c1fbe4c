"""Runs started and controlled from the keyboard, against the real engine and the
scripted agent (instant pace, the tiny card: a few seconds per iteration): start from the
editor, stop, pause and resume, steer (pending, edited, cancelled, applied), abort with a
question, fork, audit now, and a harness-change proposal approved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Told
from recording import FAST_RUNS
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Label, OptionList, Static, TextArea
from textual.widgets._footer import FooterKey

from jitskit_tui.engine import baseline_step
from jitskit_tui.engine.baseline import ObserverFor
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.controls import Resume
from jitskit_tui.protocol.events import (
    BranchForked,
    ControlReceived,
    ProposalDecided,
    SteeringEditRefused,
)
from jitskit_tui.protocol.results import BaselineReport
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.screens.baselines import BaselinesDialog
from jitskit_tui.tui.screens.confirm import ConfirmDialog, ProposalDialog
from jitskit_tui.tui.screens.start_run import StartRunDialog
from jitskit_tui.tui.screens.steering import PendingSteeringDialog, SteerDialog

pytestmark = pytest.mark.slow  # real loops: builds, gates and trials

Until = Callable[..., Awaitable[None]]


def live_feed(app: JitskitApp) -> RunFeed:
    (only,) = app.feeds.values()
    return only


async def start_from_editor(
    pilot: Pilot[object], until: Until, *, pause_at_once: bool = False
) -> tuple[JitskitApp, DashboardScreen, RunFeed]:
    """Ctrl+R in the editor, Enter in the start dialog: the dashboard of a live run
    (paused before it returns, with ``pause_at_once``)."""
    app = pilot.app
    assert isinstance(app, JitskitApp)
    await until(pilot, lambda: app.editor is not None and app.editor.check is not None)
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(app.screen, StartRunDialog), what="the start dialog")
    await pilot.press("enter")
    await until(pilot, lambda: len(app.feeds) == 1, what="the run to start")
    feed = live_feed(app)
    if pause_at_once:
        await pilot.press("space")
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    await until(pilot, lambda: feed.view.state.run_id != "", what="run_started")
    if pause_at_once:
        await until(pilot, lambda: feed.view.state.loop_state == "paused", what="the pause")
    return app, screen, feed


def events_of(feed: RunFeed) -> list[object]:
    return list(read_events(feed.ws.events))


async def test_a_run_starts_from_the_editor_and_stops_after_its_iteration(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36)) as pilot:
        app, screen, feed = await start_from_editor(pilot, until)
        assert feed.link.kind == "live"
        assert "live here" in str(screen.query_one("#status", Static).render())
        state = feed.view.state
        await until(pilot, lambda: state.running_iteration() is not None, what="iteration 1")
        # Every control is in the command palette while the run takes them.
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.pause(0.5)
        shown = {
            str(option.prompt).split("\n")[0] for option in app.screen.query_one(OptionList).options
        }
        for title in ("Steer", "Stop", "Abort now", "Fork", "Audit now", "Run baselines"):
            assert title in shown
        assert "Pause" in shown or "Resume" in shown
        await pilot.press("escape")
        await pilot.press("S")
        await until(pilot, lambda: feed.link.ended, what="the run to stop")
        assert state.status == "stopped" and state.completed == 1
        assert str(screen.table.get_row_at(0)[2]) == "first"  # the first to pass every gate
        assert "STOPPED" in str(screen.query_one("#status", Static).render())
        # Now read-only here: the footer offers resuming instead of the controls.
        assert screen.check_action("pause", ()) is False
        assert screen.check_action("resume_run", ()) is True
        assert (tiny_card.parent.parent / "workspaces").is_dir()


def footer_keys(screen: DashboardScreen) -> list[str]:
    return [key.description for key in screen.query(FooterKey)]


async def test_the_footer_offers_what_applies_as_the_run_pauses_resumes_and_stops(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36)) as pilot:
        app, screen, feed = await start_from_editor(pilot, until, pause_at_once=True)
        await until(pilot, lambda: "Resume" in footer_keys(screen), what="Resume offered")
        assert "Pause" not in footer_keys(screen) and "Steer" in footer_keys(screen)
        # The focus moves into a pane and back: the keys offered stay what applies.
        await pilot.press("3", "1")
        await until(pilot, lambda: screen.focused is screen.transcript, what="the transcript")
        assert "Resume" in footer_keys(screen) and "Pause" not in footer_keys(screen)
        await pilot.press("space")
        await until(pilot, lambda: "Pause" in footer_keys(screen), what="Pause offered")
        assert "Resume" not in footer_keys(screen)
        await pilot.press("S")
        await until(pilot, lambda: feed.link.ended, what="the run to stop")
        await until(pilot, lambda: "Resume run" in footer_keys(screen), what="Resume run")
        assert "Steer" not in footer_keys(screen) and "Pause" not in footer_keys(screen)


async def test_steering_is_pending_editable_cancellable_then_applied(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36)) as pilot:
        app, screen, feed = await start_from_editor(pilot, until, pause_at_once=True)
        state = feed.view.state
        assert screen.check_action("resume", ()) is True
        # Steer for the next iteration: pending, shown above the footer.
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press(*"Try fewer shards")
        await pilot.press("enter")
        await until(pilot, lambda: len(state.pending_steering()) == 1, what="pending steering")
        bar = screen.query_one("#steering", Static)
        assert bar.display and "Try fewer shards" in str(bar.render())
        # Edit it: the text is replaced in place (one edit-steer control).
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, PendingSteeringDialog))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        area = app.screen.query_one(TextArea)
        area.text = "Try eight shards"
        await pilot.press("enter")
        await until(
            pilot,
            lambda: [s.text for s in state.pending_steering()] == ["Try eight shards"],
            what="the edited steering",
        )
        assert [(s.state, s.edits) for s in state.steering.values()] == [("pending", 1)]
        # A second one, at the next tool boundary, cancelled from the list.
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press(*"Never mind", "tab", "space")
        await pilot.press("enter")
        await until(pilot, lambda: len(state.pending_steering()) == 2)
        assert state.pending_steering()[1].delivery == "next-tool"
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, PendingSteeringDialog))
        await pilot.press("down", "x")
        await until(pilot, lambda: len(state.pending_steering()) == 1, what="the cancel")
        # Resume: the steering is applied at iteration 2's plan, and said so.
        await pilot.press("space")
        await until(
            pilot,
            lambda: any(s.state == "applied" for s in state.steering.values()),
            what="the steering to be applied",
        )
        applied = next(s for s in state.steering.values() if s.state == "applied")
        assert applied.text == "Try eight shards" and applied.applied_to == "planner"
        assert not screen.query_one("#steering", Static).display
        titles = [b.title for b in feed.view.transcript.blocks if b.kind == "steering"]
        assert any("handed to the planner" in t for t in titles)
        # Iteration 1's auditor proposed a harness change: reject it from the palette.
        await until(pilot, lambda: bool(state.proposals), what="the proposal")
        await pilot.press("ctrl+p", *"reject a")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ProposalDialog), what="the proposal")
        await pilot.press("r")
        await until(
            pilot,
            lambda: all(p.decision == "rejected" for p in state.proposals.values()),
            what="the rejection",
        )
        # Abort asks first; Esc keeps the run, y ends it now.
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")
        await pilot.pause()
        assert not feed.link.ended
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: feed.link.ended, what="the abort")
        assert state.status == "aborted"


async def test_fork_audit_now_and_approving_a_proposal(tiny_card: Path, until: Until) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=replace(FAST_RUNS, iterations=3))
    async with app.run_test(size=(160, 48)) as pilot:
        app, screen, feed = await start_from_editor(pilot, until)
        state = feed.view.state
        # Iteration 1's audit proposes a harness change; pause once it is in.
        await until(pilot, lambda: bool(state.proposals), what="the proposal")
        await pilot.press("space")
        await until(pilot, lambda: state.loop_state == "paused", what="the pause")
        # Approve the proposal from Gates & audit.
        await pilot.press("4")
        proposals = screen.query_one("#proposals", OptionList)
        await until(pilot, lambda: "pending" in str(proposals.get_option_at_index(0).prompt))
        proposals.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ProposalDialog))
        await pilot.press("a")
        await until(pilot, lambda: all(p.decision for p in state.proposals.values()))
        # Audit now, and fork from iteration 1.
        await pilot.press("a")
        screen.table.focus()
        await until(pilot, lambda: state.completed >= 1 and screen.table.row_count >= 1)
        screen.table.move_cursor(row=0)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(
            pilot,
            lambda: sum(isinstance(e, ControlReceived) for e in events_of(feed)) >= 4,
            what="the controls' answers",
        )
        await pilot.press("space")
        await until(
            pilot,
            lambda: any(isinstance(e, BranchForked) for e in events_of(feed)),
            what="the fork",
        )
        events = events_of(feed)
        kinds = {e.kind: e.accepted for e in events if isinstance(e, ControlReceived)}
        assert kinds.get("audit") and kinds.get("fork") and kinds.get("approve")
        assert any(isinstance(e, ProposalDecided) and e.decision == "approved" for e in events)
        forked = next(e for e in events if isinstance(e, BranchForked))
        assert forked.from_iteration == 1 and forked.branch.startswith("fork-1")
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: feed.link.ended, what="the abort")


async def test_an_edit_that_comes_too_late_offers_the_text_back(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36)) as pilot:
        app, _screen, feed = await start_from_editor(pilot, until, pause_at_once=True)
        state = feed.view.state
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press(*"Try fewer shards")
        await pilot.press("enter")
        await until(pilot, lambda: len(state.pending_steering()) == 1, what="pending steering")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, PendingSteeringDialog))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        # While the user edits, the run goes on and the planner takes the old text.
        await feed.link.send(Resume(source="test"))
        await until(pilot, lambda: not state.pending_steering(), what="the steering applied")
        app.screen.query_one(TextArea).text = "Try eight shards"
        await pilot.press("enter")

        def offered_back() -> bool:
            dialog = app.screen
            if not isinstance(dialog, SteerDialog):
                return False
            title = str(dialog.query_one(".dialog-title", Label).render())
            return "Too late to edit" in title

        await until(pilot, offered_back, what="the new text offered back")
        assert app.screen.query_one(TextArea).text == "Try eight shards"
        refused = [e for e in events_of(feed) if isinstance(e, SteeringEditRefused)]
        assert [(e.text, e.was) for e in refused] == [("Try eight shards", "applied")]
        await pilot.press("enter")  # sent as new steering: nothing typed is lost
        await until(pilot, lambda: len(state.steering) == 2, what="the new steering")
        first, second = state.steering.values()
        assert (first.text, first.state, first.applied_to) == (
            "Try fewer shards",
            "applied",
            "planner",
        )
        assert second.text == "Try eight shards" and second.state in ("pending", "applied")
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: feed.link.ended, what="the abort")


async def test_h_asks_a_live_run_for_its_headline(tiny_card: Path, until: Until) -> None:
    told = Told()
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36), notifications=True, message_hook=told) as pilot:
        app, screen, feed = await start_from_editor(pilot, until, pause_at_once=True)
        assert "Headline" in footer_keys(screen)
        assert "no headline yet (H measures it)" in str(screen.query_one("#summary").render())
        await pilot.press("H")
        await until(pilot, lambda: any(t.startswith("Headline queued") for t in told.texts))
        sent = [
            e for e in events_of(feed) if isinstance(e, ControlReceived) and e.kind == "confirm"
        ]
        assert len(sent) == 1 and sent[0].accepted and sent[0].source.startswith("tui (pid ")
        assert "the headline is measured" in sent[0].message
        # Aborted before the next iteration: no headline is measured (that is the engine's
        # test), and a run no longer live offers no H.
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: feed.link.ended, what="the abort")
        await until(pilot, lambda: "Headline" not in footer_keys(screen), what="H withdrawn")
        assert screen.check_action("confirm", ()) is False


async def test_baselines_on_a_live_run_go_to_the_engine_and_the_table_restates_ratios(
    tiny_card: Path, until: Until, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[str] = []

    async def stand_in(
        spec: SpecCard,
        machine: BenchMachine,
        observer_for: ObserverFor,
        *,
        allow_smaller_machine: bool = False,
    ) -> BaselineReport:
        # The real baselines through this control: test_control_cli_edit_and_baselines.
        measured.append(spec.name)
        observer_for("stub-map")
        return BaselineReport(results=[], best_comparable="stub-map", best_comparable_ops_s=1e5)

    monkeypatch.setattr(baseline_step, "measured_baselines", stand_in)
    told = Told()
    runs = replace(FAST_RUNS, iterations=2)
    app = make_app(tiny_card, cursor_blink=False, run_defaults=runs)
    async with app.run_test(size=(160, 48), notifications=True, message_hook=told) as pilot:
        app, screen, feed = await start_from_editor(pilot, until)
        state = feed.view.state
        await until(pilot, lambda: state.running_iteration() is not None, what="iteration 1")
        await pilot.press("space")
        await until(pilot, lambda: state.loop_state == "paused", what="the pause")
        await pilot.press("B")
        await until(pilot, lambda: any(t.startswith("Baselines queued") for t in told.texts))
        assert not isinstance(app.screen, BaselinesDialog)  # no standalone measurement
        queued = next(t for t in told.texts if t.startswith("Baselines queued"))
        assert "started without them" in queued
        await pilot.press("space")
        await until(pilot, lambda: feed.link.ended, what="the run's end")
        assert measured == ["tiny"] and state.baseline_name == "stub-map"
        assert state.completed == 2
        # Iteration 1 had no ratio when it was committed: restated against the new one;
        # both against the cached figure, measured at another time: unpaired.
        row1, row2 = (str(screen.table.get_row_at(i)[4]) for i in (0, 1))
        assert row1.startswith("~") and row1.endswith("\u00d7 unpaired")
        assert row2.endswith("\u00d7 unpaired") and not row2.startswith("~")
        assert state.iterations[2].ratio is not None
        assert "stub-map" in str(screen.table.tooltip)
