"""The dashboard's run controls: steer (and edit or cancel pending steering), pause and
resume, stop, abort, fork, audit, the baselines, the headline, harness-change proposals,
the cost and resuming; each asks what it must, sends one control through the run's link and says
what the engine answered.

Editing pending steering is one `edit-steer` control, never cancel-then-steer: the
engine replaces the text only while it is pending, and when the agent got it first the
edit is refused and the new text offered back as new steering, so it is neither lost nor
applied twice. The baselines on a live run are a `baselines` control (the engine
measures them between iterations and its ratio follows); on a replayed or finished run
they are measured in a dialog, for reading only.

A run this app cannot control (a replay, a run whose engine exited) answers every control
with why not and what to do instead; nothing is sent anywhere silently.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

from textual.notifications import SeverityLevel
from textual.screen import Screen

from jitskit_tui.protocol.controls import (
    Abort,
    Approve,
    AuditNow,
    CancelSteer,
    Confirm,
    Control,
    EditSteer,
    Fork,
    Pause,
    Reject,
    Resume,
    RunBaselines,
    Steer,
    Stop,
)
from jitskit_tui.tui.messages import ResumeRequested
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.run.links import ControlOutcome

CONTROL_ACTIONS = frozenset(
    {"steer", "pending_steering", "pause", "resume", "stop", "abort", "audit", "confirm"}
)
"""The actions offered only while the run takes controls."""


def control_source() -> str:
    return f"tui (pid {os.getpid()})"


class RunController:
    """Controls for the run ``feed`` the dashboard shows; the dialogs, notices and the
    workers that wait on them belong to ``screen``."""

    def __init__(self, screen: Screen[None], selected: Callable[[], int | None]) -> None:
        self.screen = screen
        self.feed: RunFeed | None = None
        self._selected = selected

    # -- sending ---------------------------------------------------------------------------

    def _tell(self, text: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        self.screen.notify(text, severity=severity, timeout=timeout, markup=False)

    def _work(self, flow: Coroutine[Any, Any, object], group: str) -> None:
        self.screen.run_worker(flow, group=group, exit_on_error=False)

    def _controllable(self) -> RunFeed | None:
        """The feed when its run takes controls; otherwise says why not and returns None."""
        feed = self.feed
        if feed is None:
            self._tell("No run is open: start one from the editor (Ctrl+R) or open one (F5).")
            return None
        if not feed.link.controllable:
            self._tell(feed.link.refusal(), "warning", 8)
            return None
        return feed

    async def _send(self, feed: RunFeed, control: Control) -> ControlOutcome:
        outcome = await feed.link.send(control)
        if outcome.accepted and isinstance(control, Steer):
            when = (
                "the next iteration's plan" if control.at == "next-iteration" else "the next tool"
            )
            self._tell(f"Steering {control.id} waits for {when}; e edits or cancels it until then.")
        elif outcome.accepted and isinstance(control, RunBaselines):
            self._tell(f"Baselines queued: {outcome.message}", timeout=10)
        elif outcome.accepted and isinstance(control, Confirm):
            self._tell(f"Headline queued: {outcome.message}", timeout=10)
        elif outcome.accepted:
            self._tell(outcome.message or f"{control.kind}: done")
        else:
            self._tell(f"{control.kind} refused: {outcome.message}", "warning", 8)
        self.screen.refresh_bindings()
        return outcome

    def _send_in_background(self, control: Control) -> None:
        feed = self._controllable()
        if feed is not None:
            self._work(self._send(feed, control), "control")

    # -- what applies ------------------------------------------------------------------------

    def allows(self, action: str) -> bool:
        """What the footer and the palette offer: controls while the run takes them,
        Resume run when it does not; Pause or Resume by the loop's state."""
        feed = self.feed
        controllable = feed is not None and feed.link.controllable
        if action in CONTROL_ACTIONS:
            if not controllable:
                return False
            paused = feed is not None and feed.view.state.loop_state == "paused"
            if action == "pause":
                return not paused
            if action == "resume":
                return paused
        if action == "resume_run":
            return feed is not None and not controllable and not feed.link.gone
        return True

    # -- pause, resume, stop, abort, audit ---------------------------------------------------

    def pause(self) -> None:
        self._send_in_background(Pause(source=control_source()))

    def resume(self) -> None:
        self._send_in_background(Resume(source=control_source()))

    def stop(self) -> None:
        self._send_in_background(Stop(source=control_source()))

    def audit(self) -> None:
        self._send_in_background(AuditNow(source=control_source()))

    def confirm(self) -> None:
        """The headline measured between iterations (the summary line says how on a run
        this app does not control: `jitskit confirm RUN`)."""
        self._send_in_background(Confirm(source=control_source()))

    def abort(self) -> None:
        if self._controllable() is not None:
            self._work(self._abort_flow(), "control")

    async def _abort_flow(self) -> None:
        from jitskit_tui.tui.screens.confirm import ConfirmDialog

        feed = self._controllable()
        if feed is None:
            return
        state = feed.view.state
        running = state.running_iteration()
        where = (
            f"iteration {running.iteration} ({state.loop_state})" if running else state.loop_state
        )
        sure = await self.screen.app.push_screen_wait(
            ConfirmDialog(
                "Abort the run now?",
                f"This cancels {where} at once. Everything written so far is kept, and "
                "resuming redoes the unfinished iteration. To end gently, Stop (S) waits "
                "for the iteration to be committed.",
                "Abort now",
                danger=True,
            )
        )
        if sure:
            await self._send(feed, Abort(source=control_source()))

    # -- steering ----------------------------------------------------------------------------

    def steer(self) -> None:
        if self._controllable() is not None:
            self._work(self._steer_flow(), "steer")

    async def _steer_flow(self) -> None:
        from jitskit_tui.tui.screens.steering import SteerDialog

        draft = await self.screen.app.push_screen_wait(SteerDialog())
        feed = self._controllable()
        if draft is None or feed is None:
            return
        await self._send(feed, Steer(text=draft.text, at=draft.delivery, source=control_source()))

    def pending_steering(self) -> None:
        feed = self.feed
        if feed is None or not feed.view.state.pending_steering():
            self._tell("No steering is pending (s steers).")
            return
        if self._controllable() is not None:
            self._work(self._pending_flow(), "steer")

    async def _pending_flow(self) -> None:
        from jitskit_tui.tui.screens.steering import (
            PendingSteeringDialog,
            SteerDialog,
            SteeringDraft,
        )

        feed = self.feed
        if feed is None:
            return
        app = self.screen.app
        pending = feed.view.state.pending_steering()
        choice = await app.push_screen_wait(PendingSteeringDialog(pending))
        if choice is None:
            return
        item = feed.view.state.steering.get(choice.steering_id)
        if item is None:
            return
        if choice.action == "cancel":
            await self._send(feed, CancelSteer(steering_id=item.id, source=control_source()))
            return
        draft = await app.push_screen_wait(
            SteerDialog(f"Edit steering {item.id}", SteeringDraft(item.text, item.delivery))
        )
        if draft is None:
            return
        edit = EditSteer(
            steering_id=item.id, text=draft.text, at=draft.delivery, source=control_source()
        )
        if (await self._send(feed, edit)).accepted:
            return
        # Too late (the agent got the old text first): the new text is offered back.
        again = await app.push_screen_wait(
            SteerDialog(f"Too late to edit {item.id}: send your text as new steering?", draft)
        )
        feed = self._controllable()
        if again is None or feed is None:
            return
        await self._send(feed, Steer(text=again.text, at=again.delivery, source=control_source()))

    # -- fork, resume ------------------------------------------------------------------------

    def fork(self) -> None:
        feed = self.feed
        chosen = self._selected()
        if feed is None or chosen is None:
            self._tell("Select a committed iteration to fork from (↑↓ in the table).")
            return
        it = feed.view.state.iterations.get(chosen)
        if it is None or it.state != "done":
            self._tell(f"Iteration {chosen} is not committed yet; fork from a finished one.")
            return
        if not feed.link.controllable:
            if feed.link.kind == "replay" and not feed.link.gone:
                self.screen.post_message(ResumeRequested(feed.ws, fork_from=chosen))
            else:
                self._tell(feed.link.refusal(), "warning", 8)
            return
        self._work(self._fork_flow(feed, chosen), "control")

    async def _fork_flow(self, feed: RunFeed, chosen: int) -> None:
        from jitskit_tui.tui.screens.confirm import ConfirmDialog

        sure = await self.screen.app.push_screen_wait(
            ConfirmDialog(
                f"Fork from iteration {chosen}?",
                f"Once the current iteration is committed, the loop goes on from iteration "
                f"{chosen}'s commit on a new branch (fork-{chosen}). Nothing is deleted: the "
                "current branch stays in the workspace.",
                "Fork",
            )
        )
        if sure:
            await self._send(feed, Fork(from_iteration=chosen, source=control_source()))

    def resume_run(self) -> None:
        feed = self.feed
        if feed is None:
            return
        if feed.link.kind == "live" and not feed.link.ended:
            self._tell("This run is live in this app already.")
            return
        if feed.link.kind == "attached" and feed.link.controllable:
            self._tell("Another process runs this run; controls go to it (s, Space, S).")
            return
        if feed.link.gone:
            self._tell(feed.link.refusal(), "warning")
            return
        self.screen.post_message(ResumeRequested(feed.ws))

    # -- cost --------------------------------------------------------------------------------

    def cost(self) -> None:
        """Tokens and dollars by role and by iteration, against the card's caps."""
        from jitskit_tui.tui.screens.cost import CostScreen

        feed = self.feed
        if feed is None:
            self._tell("No run is open: its cost is shown once one is (F5 opens one).")
            return
        self.screen.app.push_screen(CostScreen(feed))

    # -- baselines and proposals -------------------------------------------------------------

    def baselines(self) -> None:
        feed = self.feed
        if feed is None:
            self._tell(
                "No run is open: the baselines are measured for a run's card (F5 opens one)."
            )
            return
        if feed.link.controllable:
            # Measured by the engine between iterations, so its ratio follows; a run that
            # has a baseline already measures past the cache (else it would only recall it).
            refresh = feed.view.state.baseline_ops_s is not None
            self._send_in_background(RunBaselines(refresh=refresh, source=control_source()))
            return
        self._work(self._baselines_flow(feed), "baselines")

    async def _baselines_flow(self, feed: RunFeed) -> None:
        from jitskit_tui.spec import SpecError, load_spec
        from jitskit_tui.tui.screens.baselines import BaselinesDialog

        try:
            spec = await asyncio.to_thread(load_spec, feed.ws.spec_file)
        except (SpecError, OSError) as exc:
            self._tell(f"{feed.ws.spec_file}: the run's card cannot be read: {exc}", "error")
            return
        machine = feed.view.state.machine or spec.environment.machine
        await self.screen.app.push_screen_wait(BaselinesDialog(spec, machine))

    def decide(self, proposal_id: str | None = None) -> None:
        """Opens a harness-change proposal (``proposal_id``, else the first one pending)
        to approve or reject it."""
        feed = self.feed
        if feed is None:
            return
        proposals = feed.view.state.proposals
        pending = [p for p in proposals.values() if p.decision is None]
        chosen = proposals.get(proposal_id) if proposal_id else (pending[0] if pending else None)
        if chosen is None:
            self._tell("No harness-change proposal is waiting for a decision.")
            return
        self._work(self._decide_flow(feed, chosen.id), "control")

    async def _decide_flow(self, feed: RunFeed, proposal_id: str) -> None:
        from jitskit_tui.tui.screens.confirm import ProposalDialog

        proposal = feed.view.state.proposals[proposal_id]
        decision = await self.screen.app.push_screen_wait(
            ProposalDialog(proposal, can_decide=feed.link.controllable)
        )
        if decision is None:
            return
        source = control_source()
        control: Control = (
            Approve(proposal_id=proposal_id, source=source)
            if decision == "approve"
            else Reject(proposal_id=proposal_id, source=source)
        )
        await self._send(feed, control)
