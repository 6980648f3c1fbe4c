"""Runs started and controlled from the keyboard, against the real engine and the
scripted agent (instant pace, the tiny card: a few seconds per iteration): start from the
editor, stop, pause and resume, steer (pending, edited, cancelled, applied), abort with a
question, fork, audit now, and a harness-change proposal approved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from recording import FAST_RUNS
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import OptionList, Static, TextArea

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.events import BranchForked, ControlReceived, ProposalDecided
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.run.session import RunSession
from jitskit_tui.tui.screens.confirm import ConfirmDialog, ProposalDialog
from jitskit_tui.tui.screens.dashboard import DashboardScreen
from jitskit_tui.tui.screens.start_run import StartRunDialog
from jitskit_tui.tui.screens.steering import PendingSteeringDialog, SteerDialog

Until = Callable[..., Awaitable[None]]


def live_session(app: JitskitApp) -> RunSession:
    (only,) = app.sessions.values()
    return only


async def start_from_editor(
    pilot: Pilot[object], until: Until, *, pause_at_once: bool = False
) -> tuple[JitskitApp, DashboardScreen, RunSession]:
    """Ctrl+R in the editor, Enter in the start dialog: the dashboard of a live run."""
    app = pilot.app
    assert isinstance(app, JitskitApp)
    await until(pilot, lambda: app.editor is not None and app.editor.check is not None)
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(app.screen, StartRunDialog), what="the start dialog")
    await pilot.press("enter")
    await until(pilot, lambda: len(app.sessions) == 1, what="the run to start")
    session = live_session(app)
    if pause_at_once:
        await pilot.press("space")
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    await until(pilot, lambda: session.view.state.run_id != "", what="run_started")
    return app, screen, session


def events_of(session: RunSession) -> list[object]:
    return list(read_events(session.ws.events))


async def test_a_run_starts_from_the_editor_and_stops_after_its_iteration(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36)) as pilot:
        app, screen, session = await start_from_editor(pilot, until)
        assert session.link.kind == "live"
        assert "live here" in str(screen.query_one("#status", Static).render())
        state = session.view.state
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
        await until(pilot, lambda: session.link.ended, what="the run to stop")
        assert state.status == "stopped" and state.completed == 1
        assert str(screen.table.get_row_at(0)[2]) == "pass"
        assert "STOPPED" in str(screen.query_one("#status", Static).render())
        # Now read-only here: the footer offers resuming instead of the controls.
        assert screen.check_action("pause", ()) is False
        assert screen.check_action("resume_run", ()) is True
        assert (tiny_card.parent.parent / "workspaces").is_dir()


async def test_steering_is_pending_editable_cancellable_then_applied(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=FAST_RUNS)
    async with app.run_test(size=(120, 36)) as pilot:
        app, screen, session = await start_from_editor(pilot, until, pause_at_once=True)
        state = session.view.state
        await until(pilot, lambda: state.loop_state == "paused", what="the pause")
        assert screen.check_action("resume", ()) is True
        # Steer for the next iteration: pending, shown above the footer.
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SteerDialog))
        await pilot.press(*"Try fewer shards")
        await pilot.press("enter")
        await until(pilot, lambda: len(state.pending_steering()) == 1, what="pending steering")
        bar = screen.query_one("#steering", Static)
        assert bar.display and "Try fewer shards" in str(bar.render())
        # Edit it: the old text is cancelled, the new one pending.
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
        assert [s.state for s in state.steering.values()] == ["cancelled", "pending"]
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
        titles = [b.title for b in session.view.transcript.blocks if b.kind == "steering"]
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
        assert not session.link.ended
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: session.link.ended, what="the abort")
        assert state.status == "aborted"


async def test_fork_audit_now_and_approving_a_proposal(tiny_card: Path, until: Until) -> None:
    app = make_app(tiny_card, cursor_blink=False, run_defaults=replace(FAST_RUNS, iterations=3))
    async with app.run_test(size=(160, 48)) as pilot:
        app, screen, session = await start_from_editor(pilot, until)
        state = session.view.state
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
            lambda: sum(isinstance(e, ControlReceived) for e in events_of(session)) >= 4,
            what="the controls' answers",
        )
        await pilot.press("space")
        await until(
            pilot,
            lambda: any(isinstance(e, BranchForked) for e in events_of(session)),
            what="the fork",
        )
        events = events_of(session)
        kinds = {e.kind: e.accepted for e in events if isinstance(e, ControlReceived)}
        assert kinds.get("audit") and kinds.get("fork") and kinds.get("approve")
        assert any(isinstance(e, ProposalDecided) and e.decision == "approved" for e in events)
        forked = next(e for e in events if isinstance(e, BranchForked))
        assert forked.from_iteration == 1 and forked.branch.startswith("fork-1")
        await pilot.press("A")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: session.link.ended, what="the abort")
