"""Running a sweep: one refinement loop per card, ``parallel`` at a time, in this process.

Each loop is an ordinary run, made (or resumed) by :mod:`jitskit_tui.launch` in its folder
under the sweep's, with the sweep's choices: its own workspace, log, inbox and lock, so
its dashboard, `jitskit control` and `jitskit resume` work on it as on any run. On a
machine that is one host the runs share the sweep's evaluation turns
(:mod:`jitskit_tui.sandbox.turns`); on Slurm each evaluation is its own job.

A control sent to the sweep (pause, resume, stop, abort) goes to every live run, and
holds back the runs not started yet. A sweep that was killed is resumed by running it
again: a run not started starts, a run not done resumes from its last iteration, a run
whose budget is used up is left as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from jitskit_tui.engine.eventlog import EventLogError
from jitskit_tui.engine.inbox import NotLive, drain_controls
from jitskit_tui.engine.loop import Engine
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, live_engine
from jitskit_tui.launch.choices import LaunchError, RunChoices
from jitskit_tui.launch.runs import recorded_choices, resume_run, start_run
from jitskit_tui.protocol.controls import Abort, Control, Pause, Resume, Stop
from jitskit_tui.sweep.folder import SweepError, SweepFolder
from jitskit_tui.sweep.log import (
    RunEnded,
    RunLaunched,
    RunNotLaunched,
    SweepControlled,
    SweepEvent,
    SweepFinished,
    SweepLog,
    SweepStarted,
    SweepStatus,
)
from jitskit_tui.sweep.manifest import SweepEntry, SweepManifest

OnEngine = Callable[[SweepEntry, Engine], None]


@dataclass
class _Outcome:
    """How each card's run ended in this stint."""

    finished: int = 0
    already_done: int = 0
    stopped: int = 0
    failed: int = 0
    not_started: int = 0


class SweepRunner:
    """One stint of a sweep; :meth:`run` drives it to its end."""

    def __init__(
        self,
        folder: SweepFolder,
        manifest: SweepManifest,
        *,
        on_engine: OnEngine | None = None,
        on_event: Callable[[SweepEvent], None] | None = None,
        resumed: bool = False,
        control_poll_s: float = 0.1,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.on_engine = on_engine
        self.on_event = on_event
        self.resumed = resumed
        self.control_poll_s = control_poll_s
        self.live: dict[int, Engine] = {}
        """Entry -> the engine running its loop now."""
        self._go = asyncio.Event()
        self._go.set()
        self._stopping = False
        self._aborting = False
        self._outcome = _Outcome()
        self._log: SweepLog | None = None

    # -- the stint ----------------------------------------------------------------------

    def choices_for(self, entry: SweepEntry) -> RunChoices:
        """What a card's run is started with: the sweep's choices, in its own folder."""
        m = self.manifest
        return RunChoices(
            agent=m.agent,
            agent_options=dict(m.agent_options),
            iterations=m.iterations,
            baselines=m.baselines,
            machine=m.machine,
            workspace=self.folder.root / entry.workspace,
            seed=m.seed,
            eval_turns=self.folder.turns,
            allow_smaller_machine=m.allow_smaller_machine,
        )

    async def run(self) -> SweepFinished:
        """Runs every card's loop that is not done; returns how the stint ended. Raises
        :class:`SweepError` when another process runs the sweep."""
        lock = self.folder.lock()
        try:
            lock.acquire()
        except WorkspaceError as exc:
            raise SweepError(str(exc)) from None
        try:
            self._log = SweepLog(self.folder.events, self.on_event)
        except EventLogError as exc:
            lock.release()
            raise SweepError(str(exc)) from None
        try:
            self._emit(
                SweepStarted(pid=os.getpid(), parallel=self.manifest.parallel, resumed=self.resumed)
            )
            poller = asyncio.create_task(self._poll_inbox())
            slots = asyncio.Semaphore(self.manifest.parallel)
            loops = [
                asyncio.create_task(self._loop(index, entry, slots))
                for index, entry in enumerate(self.manifest.entries)
            ]
            try:
                ended = await asyncio.gather(*loops, return_exceptions=True)
            except asyncio.CancelledError:
                # The caller is going away: every loop ends as aborted (their engines say so).
                self._aborting = self._stopping = True
                for task in loops:
                    task.cancel()
                with contextlib.suppress(BaseException):
                    await asyncio.gather(*loops, return_exceptions=True)
                self._finish()
                raise
            finally:
                poller.cancel()
                with contextlib.suppress(BaseException):
                    await poller
            for index, outcome in enumerate(ended):
                if isinstance(outcome, Exception):  # a bug: said, and the other runs went on
                    self._outcome.failed += 1
                    self._emit(RunNotLaunched(entry=index, message=f"internal error: {outcome!r}"))
            return self._finish()
        finally:
            self._log.close()
            lock.release()

    def _emit(self, event: SweepEvent) -> SweepEvent:
        # Before the stint has its log (a signal at once) the event is only returned.
        return self._log.append(event) if self._log is not None else event

    def _finish(self) -> SweepFinished:
        o = self._outcome
        status: SweepStatus
        if self._aborting:
            status = "aborted"
        elif o.failed:
            status = "failed"
        elif self._stopping or o.stopped or o.not_started:
            status = "stopped"
        else:
            status = "finished"
        parts = [
            f"{o.finished} finished" if o.finished else "",
            f"{o.already_done} already done" if o.already_done else "",
            f"{o.stopped} stopped or aborted" if o.stopped else "",
            f"{o.failed} failed or could not start" if o.failed else "",
            f"{o.not_started} not started" if o.not_started else "",
        ]
        reason = "runs: " + ", ".join(p for p in parts if p)
        if status != "finished":
            reason += f"; `jitskit sweep --resume {self.folder.root}` goes on"
        finished = self._emit(SweepFinished(status=status, reason=reason))
        assert isinstance(finished, SweepFinished)
        return finished

    async def _loop(self, index: int, entry: SweepEntry, slots: asyncio.Semaphore) -> None:
        async with slots:
            while not self._go.is_set() and not self._stopping:
                await self._go.wait()
            if self._stopping:
                self._outcome.not_started += 1
                return
            launched = await asyncio.to_thread(self._launch, entry)
            if launched is None:
                self._outcome.already_done += 1
                return
            if isinstance(launched, str):
                self._outcome.failed += 1
                self._emit(RunNotLaunched(entry=index, message=f"{entry.spec_name}: {launched}"))
                return
            engine, resumed = launched
            self.live[index] = engine
            try:
                if self.on_engine is not None:
                    self.on_engine(entry, engine)
                self._emit(RunLaunched(entry=index, workspace=entry.workspace, resumed=resumed))
                if not self._go.is_set():  # paused while it was being made
                    engine.handle_control(Pause(source="sweep"))
                finished = await engine.run()
            finally:
                self.live.pop(index, None)
            if finished.status == "finished":
                self._outcome.finished += 1
            elif finished.status == "failed":
                self._outcome.failed += 1
            else:
                self._outcome.stopped += 1
            self._emit(RunEnded(entry=index, status=finished.status, reason=finished.reason))

    def _launch(self, entry: SweepEntry) -> tuple[Engine, bool] | str | None:
        """Blocking: the engine of the card's run, new or resumed, and whether it resumes;
        ``None`` when its budget is used up; why not when it cannot start."""
        choices = self.choices_for(entry)
        ws = Workspace(self.folder.root / entry.workspace)
        try:
            if not ws.exists():
                return start_run(self.folder.root / entry.card, choices), False
            holder = live_engine(ws)
            if holder is not None:
                return f"{ws.root}: process {holder.pid} runs it already; it is left to it"
            recorded, state = recorded_choices(ws)
            budget = choices.iterations or state.iterations_budget
            if budget and state.completed >= budget:
                return None
            keep = replace(
                recorded,
                iterations=choices.iterations,
                baselines=choices.baselines,
                seed=choices.seed,
                eval_turns=choices.eval_turns,
                allow_smaller_machine=choices.allow_smaller_machine
                or recorded.allow_smaller_machine,
            )
            return resume_run(ws, keep), True
        except LaunchError as exc:
            return exc.message
        except (EventLogError, OSError) as exc:
            return str(exc)

    # -- controls -----------------------------------------------------------------------

    async def _poll_inbox(self) -> None:
        while True:
            try:
                items = await asyncio.to_thread(drain_controls, self.folder.control)
            except OSError:
                items = []
            for item in items:
                if item.control is not None:
                    self.control(item.control)
            await asyncio.sleep(self.control_poll_s)

    def _fan_out(self, make: Callable[[], Control], which: Callable[[Engine], bool]) -> int:
        sent = 0
        for engine in list(self.live.values()):
            if which(engine):
                with contextlib.suppress(NotLive):
                    engine.handle_control(make())
                    sent += 1
        return sent

    def control(self, control: Control) -> SweepControlled:
        """Applies a control to the whole sweep, and logs what was done about it."""
        source = f"sweep ({control.source})"
        waiting = len(self.manifest.entries) - len(self.live)
        accepted = True
        match control:
            case Pause():
                self._go.clear()
                sent = self._fan_out(lambda: Pause(source=source), lambda e: not e.context.paused)
                message = f"pausing {sent} live runs; runs not started wait until resumed"
            case Resume():
                self._go.set()
                sent = self._fan_out(lambda: Resume(source=source), lambda e: e.context.paused)
                message = f"resumed {sent} runs; runs not started may start"
            case Stop():
                self._stopping = True
                self._go.set()
                sent = self._fan_out(lambda: Stop(source=source), lambda e: True)
                # A paused run would wait for a resume before it could stop.
                self._fan_out(lambda: Resume(source=source), lambda e: e.context.paused)
                message = (
                    f"stopping {sent} live runs once their iteration is committed; "
                    f"up to {waiting} runs not started will not start"
                )
            case Abort():
                self._stopping = self._aborting = True
                self._go.set()
                sent = self._fan_out(lambda: Abort(source=source), lambda e: True)
                message = f"aborting {sent} live runs; work so far is kept"
            case _:
                accepted = False
                message = (
                    f"a sweep takes pause, resume, stop and abort; send {control.kind} to "
                    f"one of its runs: `jitskit control {self.folder.root}/RUN {control.kind} ...`"
                )
        event = self._emit(
            SweepControlled(
                control_id=control.id,
                kind=control.kind,
                source=control.source,
                accepted=accepted,
                message=message,
            )
        )
        assert isinstance(event, SweepControlled)
        return event
