"""An evaluation waiting for its machine, as the run's events: the machine's queue observer
(:attr:`~jitskit_tui.sandbox.base.BenchMachine.on_queue`) turned into `eval_queued` events
and the loop state `queued`, so the headless printer, the narrator and the app say "queued
on bench, 3 jobs ahead" while a Slurm allocation (or a sweep's turn on one host) waits."""

from __future__ import annotations

import time

from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.protocol.events import EvalQueued, LoopState
from jitskit_tui.sandbox.base import BenchMachine, QueueState


class QueueReport:
    """The queue observer of one engine's machine (an engine evaluates one thing at a time,
    so one wait is open at most)."""

    def __init__(self, run: RunContext, machine: BenchMachine) -> None:
        self.run = run
        self.machine = machine
        self._before: tuple[LoopState, str] | None = None
        """The loop state the wait interrupted, given back when it ends."""
        self._since = 0.0
        self._last: QueueState | None = None

    def attach(self) -> None:
        self.machine.on_queue = self

    def __call__(self, state: QueueState | None) -> None:
        run = self.run
        if state is not None:
            if self._before is None:
                self._before = (run.state.loop_state, run.state.loop_detail)
                self._since = time.monotonic()
            self._last = state
            run.set_state("queued", state.waiting_words())
            run.emit(
                EvalQueued(
                    iteration=run.current_iteration,
                    machine=self.machine.label,
                    where=state.where,
                    ahead=state.ahead,
                    reason=state.reason,
                    job_id=state.job_id,
                    text=state.describe(),
                )
            )
            return
        if self._before is None:
            return
        last = self._last
        run.emit(
            EvalQueued(
                iteration=run.current_iteration,
                machine=self.machine.label,
                where=last.where if last else self.machine.label,
                job_id=last.job_id if last else "",
                waiting=False,
                waited_s=round(time.monotonic() - self._since, 3),
            )
        )
        state_before, detail = self._before
        self._before = self._last = None
        if run.state.loop_state == "queued":
            run.set_state(state_before, detail)
