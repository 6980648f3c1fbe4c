"""The dashboard's controls: steer, pause and resume, stop, abort, fork, audit, the
baselines, proposals and resuming; each asks what it must, sends one control through the
run's link and says what the engine answered.

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
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from jitskit_tui.protocol.controls import (
    Abort,
    Approve,
    AuditNow,
    CancelSteer,
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
from jitskit_tui.tui.run.links import ControlOutcome
from jitskit_tui.tui.run.session import RunSession

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.iterations_table import IterationsTable


_CONTROLS = {"steer", "pending_steering", "pause", "resume", "stop", "abort", "audit"}


def control_source() -> str:
    return f"tui (pid {os.getpid()})"


class RunControls(Screen[None]):
    """Control actions over ``self.session`` (the dashboard sets it)."""

    session: RunSession | None

    @property
    def table(self) -> IterationsTable:
        raise NotImplementedError

    # -- sending -------------------------------------------------------------------------

    def _tell(self, text: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        self.notify(text, severity=severity, timeout=timeout, markup=False)

    def _controllable(self) -> RunSession | None:
        """The session when it takes controls; otherwise says why not and returns None."""
        session = self.session
        if session is None:
            self._tell("No run is open: start one from the editor (Ctrl+R) or open one (F5).")
            return None
        if not session.link.controllable:
            self._tell(session.link.refusal(), "warning", 8)
            return None
        return session

    async def _send(self, session: RunSession, control: Control) -> ControlOutcome:
        outcome = await session.link.send(control)
        if outcome.accepted and isinstance(control, Steer):
            when = (
                "the next iteration's plan" if control.at == "next-iteration" else "the next tool"
            )
            self._tell(f"Steering {control.id} waits for {when}; e edits or cancels it until then.")
        elif outcome.accepted and isinstance(control, RunBaselines):
            self._tell(f"Baselines queued: {outcome.message}", timeout=10)
        elif outcome.accepted:
            self._tell(outcome.message or f"{control.kind}: done")
        else:
            self._tell(f"{control.kind} refused: {outcome.message}", "warning", 8)
        self.refresh_bindings()
        return outcome

    def _send_in_background(self, control: Control) -> None:
        session = self._controllable()
        if session is not None:
            self.run_worker(self._send(session, control), group="control", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and worker.error is not None:
            self._tell(f"{worker.group or 'action'} failed: {worker.error!r}", "error", 12)

    # -- pause, resume, stop, abort, audit ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer and the palette offer what applies: controls while the run takes
        them, Resume run when it does not; Pause or Resume by the loop's state."""
        session = self.session
        controllable = session is not None and session.link.controllable
        if action in _CONTROLS:
            if not controllable:
                return False
            paused = session is not None and session.view.state.loop_state == "paused"
            if action == "pause":
                return not paused
            if action == "resume":
                return paused
        if action == "resume_run":
            return session is not None and not controllable and not session.link.gone
        return True

    def action_pause(self) -> None:
        self._send_in_background(Pause(source=control_source()))

    def action_resume(self) -> None:
        self._send_in_background(Resume(source=control_source()))

    def action_stop(self) -> None:
        self._send_in_background(Stop(source=control_source()))

    def action_audit(self) -> None:
        self._send_in_background(AuditNow(source=control_source()))

    def action_abort(self) -> None:
        if self._controllable() is not None:
            self.run_worker(self._abort_flow(), group="control", exit_on_error=False)

    async def _abort_flow(self) -> None:
        from jitskit_tui.tui.screens.confirm import ConfirmDialog

        session = self._controllable()
        if session is None:
            return
        state = session.view.state
        running = state.running_iteration()
        where = (
            f"iteration {running.iteration} ({state.loop_state})" if running else state.loop_state
        )
        sure = await self.app.push_screen_wait(
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
            await self._send(session, Abort(source=control_source()))

    # -- steering -------------------------------------------------------------------------

    def action_steer(self) -> None:
        if self._controllable() is not None:
            self.run_worker(self._steer_flow(), group="steer", exit_on_error=False)

    async def _steer_flow(self) -> None:
        from jitskit_tui.tui.screens.steering import SteerDialog

        draft = await self.app.push_screen_wait(SteerDialog())
        session = self._controllable()
        if draft is None or session is None:
            return
        await self._send(
            session, Steer(text=draft.text, at=draft.delivery, source=control_source())
        )

    def action_pending_steering(self) -> None:
        session = self.session
        if session is None or not session.view.state.pending_steering():
            self._tell("No steering is pending (s steers).")
            return
        if self._controllable() is not None:
            self.run_worker(self._pending_flow(), group="steer", exit_on_error=False)

    async def _pending_flow(self) -> None:
        from jitskit_tui.tui.screens.steering import (
            PendingSteeringDialog,
            SteerDialog,
            SteeringDraft,
        )

        session = self.session
        if session is None:
            return
        pending = session.view.state.pending_steering()
        choice = await self.app.push_screen_wait(PendingSteeringDialog(pending))
        if choice is None:
            return
        item = session.view.state.steering.get(choice.steering_id)
        if item is None:
            return
        if choice.action == "cancel":
            await self._send(session, CancelSteer(steering_id=item.id, source=control_source()))
            return
        draft = await self.app.push_screen_wait(
            SteerDialog(f"Edit steering {item.id}", SteeringDraft(item.text, item.delivery))
        )
        if draft is None:
            return
        edit = EditSteer(
            steering_id=item.id, text=draft.text, at=draft.delivery, source=control_source()
        )
        if (await self._send(session, edit)).accepted:
            return
        # Too late (the agent got the old text first): the new text is offered back.
        again = await self.app.push_screen_wait(
            SteerDialog(f"Too late to edit {item.id}: send your text as new steering?", draft)
        )
        session = self._controllable()
        if again is None or session is None:
            return
        await self._send(
            session, Steer(text=again.text, at=again.delivery, source=control_source())
        )

    # -- fork, resume ---------------------------------------------------------------------

    def action_fork(self) -> None:
        session = self.session
        chosen = self.table.selected
        if session is None or chosen is None:
            self._tell("Select a committed iteration to fork from (↑↓ in the table).")
            return
        it = session.view.state.iterations.get(chosen)
        if it is None or it.state != "done":
            self._tell(f"Iteration {chosen} is not committed yet; fork from a finished one.")
            return
        if not session.link.controllable:
            if session.link.kind == "replay" and not session.link.gone:
                self.post_message(ResumeRequested(session.ws, fork_from=chosen))
            else:
                self._tell(session.link.refusal(), "warning", 8)
            return
        self.run_worker(self._fork_flow(session, chosen), group="control", exit_on_error=False)

    async def _fork_flow(self, session: RunSession, chosen: int) -> None:
        from jitskit_tui.tui.screens.confirm import ConfirmDialog

        sure = await self.app.push_screen_wait(
            ConfirmDialog(
                f"Fork from iteration {chosen}?",
                f"Once the current iteration is committed, the loop goes on from iteration "
                f"{chosen}'s commit on a new branch (fork-{chosen}). Nothing is deleted: the "
                "current branch stays in the workspace.",
                "Fork",
            )
        )
        if sure:
            await self._send(session, Fork(from_iteration=chosen, source=control_source()))

    def action_resume_run(self) -> None:
        session = self.session
        if session is None:
            return
        if session.link.kind == "live" and not session.link.ended:
            self._tell("This run is live in this app already.")
            return
        if session.link.kind == "attached" and session.link.controllable:
            self._tell("Another process runs this run; controls go to it (s, Space, S).")
            return
        if session.link.gone:
            self._tell(session.link.refusal(), "warning")
            return
        self.post_message(ResumeRequested(session.ws))

    # -- cost ---------------------------------------------------------------------------

    def action_cost(self) -> None:
        """Tokens and dollars by role and by iteration, against the card's caps."""
        from jitskit_tui.tui.screens.cost import CostScreen

        session = self.session
        if session is None:
            self._tell("No run is open: its cost is shown once one is (F5 opens one).")
            return
        self.app.push_screen(CostScreen(session))

    # -- baselines and proposals -------------------------------------------------------------

    def action_baselines(self) -> None:
        session = self.session
        if session is None:
            self._tell(
                "No run is open: the baselines are measured for a run's card (F5 opens one)."
            )
            return
        if session.link.controllable:
            # Measured by the engine between iterations, so its ratio follows; a run that
            # has a baseline already measures past the cache (else it would only recall it).
            refresh = session.view.state.baseline_ops_s is not None
            self._send_in_background(RunBaselines(refresh=refresh, source=control_source()))
            return
        self.run_worker(self._baselines_flow(session), group="baselines", exit_on_error=False)

    async def _baselines_flow(self, session: RunSession) -> None:
        from jitskit_tui.spec import SpecError, load_spec
        from jitskit_tui.tui.screens.baselines import BaselinesDialog

        try:
            spec = await asyncio.to_thread(load_spec, session.ws.spec_file)
        except (SpecError, OSError) as exc:
            self._tell(f"{session.ws.spec_file}: the run's card cannot be read: {exc}", "error")
            return
        machine = session.view.state.machine or spec.environment.machine
        await self.app.push_screen_wait(BaselinesDialog(spec, machine))

    def action_approve(self) -> None:
        self._decide_flow_start()

    def action_reject(self) -> None:
        self._decide_flow_start()

    def _decide_flow_start(self, proposal_id: str | None = None) -> None:
        session = self.session
        if session is None:
            return
        proposals = session.view.state.proposals
        pending = [p for p in proposals.values() if p.decision is None]
        chosen = proposals.get(proposal_id) if proposal_id else (pending[0] if pending else None)
        if chosen is None:
            self._tell("No harness-change proposal is waiting for a decision.")
            return
        self.run_worker(self._decide_flow(session, chosen.id), group="control", exit_on_error=False)

    async def _decide_flow(self, session: RunSession, proposal_id: str) -> None:
        from jitskit_tui.tui.screens.confirm import ProposalDialog

        proposal = session.view.state.proposals[proposal_id]
        decision = await self.app.push_screen_wait(
            ProposalDialog(proposal, can_decide=session.link.controllable)
        )
        if decision is None:
            return
        source = control_source()
        control: Control = (
            Approve(proposal_id=proposal_id, source=source)
            if decision == "approve"
            else Reject(proposal_id=proposal_id, source=source)
        )
        await self._send(session, control)
