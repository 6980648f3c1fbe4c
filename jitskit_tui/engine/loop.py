"""The refinement loop: plan, code, evaluate, critique, audit, commit; again.

An :class:`Engine` drives one run's workspace for one stint. It holds the workspace's
lock while it lives, appends every event to the run's log, and takes controls in-process
(:meth:`Engine.control`) or from the workspace's inbox (another terminal). A stint ends
when the budget is used up, the user stops or aborts it, or going on is pointless
(unreachable machine, no compiler, a fatal agent error); the run can be resumed later.

The run itself (its state, log, requests, current and head iteration, baseline) is the
:class:`~jitskit_tui.engine.run_context.RunContext`; the engine wires it to the agent,
the benchmark machine and the inbox, and sequences the steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from dataclasses import dataclass, field

from jitskit_tui.engine import control_handling
from jitskit_tui.engine.baseline import BaselineSource, measured_baselines
from jitskit_tui.engine.baseline_step import measure_baseline, remeasure_if_asked
from jitskit_tui.engine.evaluation import Bench
from jitskit_tui.engine.eventlog import EventLog
from jitskit_tui.engine.headline import NoHeadline, measure_headline
from jitskit_tui.engine.inbox import NotLive, drain_inbox
from jitskit_tui.engine.iteration import IterationRunner
from jitskit_tui.engine.naive import NaiveSession
from jitskit_tui.engine.queue_report import QueueReport
from jitskit_tui.engine.run_context import RunContext, load_frozen_spec
from jitskit_tui.engine.run_start import begin_stint, fork_branch
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import RunLock, Workspace, WorkspaceError
from jitskit_tui.harness.config import Size
from jitskit_tui.harness.machine_fit import check_fit
from jitskit_tui.protocol.agent import Agent, AgentFatalError
from jitskit_tui.protocol.controls import Control
from jitskit_tui.protocol.events import ControlReceived, ErrorRaised, RunFinished, RunStatus
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.spec.model import SpecCard


@dataclass
class EngineOptions:
    iterations: int | None = None
    """The run's iteration budget (all branches); ``None``: the spec's, or the last
    stint's on resume."""
    size: Size = "quick"
    baseline: BaselineSource | None = None
    """Where the best comparable baseline comes from; ``None``: the ratio is unknown."""
    fork_from: int | None = None
    """Start this stint on a new branch from that iteration (resume --fork)."""
    control_poll_s: float = 0.1
    seed: int | None = None
    """Seeds the evaluator's kill moment and canary (tests); ``None`` draws one."""
    agent_options: dict[str, str] = field(default_factory=dict)
    """Recorded with the run so a resume makes the same agent (scripted pace, trajectory)."""
    naive: bool = False
    """The naive experiment instead of the loop (see :mod:`jitskit_tui.engine.naive`)."""
    allow_smaller_machine: bool = False
    """Evaluate on a machine smaller than the card (figures marked) instead of refusing;
    recorded with the run."""


class Engine:
    """One stint of one run."""

    def __init__(
        self, ws: Workspace, agent: Agent, machine: BenchMachine, options: EngineOptions
    ) -> None:
        """Takes the workspace's lock and opens its log; nothing else happens until
        :meth:`run`. Raises :class:`WorkspaceError` when another engine holds the run,
        :class:`~jitskit_tui.engine.run_context.EngineError` when its spec does not load."""
        self.ws = ws
        self.agent = agent
        self.machine = machine
        self.options = options
        frozen = load_frozen_spec(ws)
        self._lock = RunLock(ws)
        self._lock.acquire()
        try:
            self.context = RunContext.open(ws, iterations=options.iterations, frozen=frozen)
        except BaseException:
            self._lock.release()
            raise
        if options.fork_from is not None:
            self.context.request_fork(options.fork_from)
        QueueReport(self.context, machine).attach()
        self._closed = False
        self._headline = ""
        """The stint's last headline in words, or why there is none (for `run_finished`)."""

    @property
    def log(self) -> EventLog:
        return self.context.log

    @property
    def state(self) -> RunState:
        """The run's state, kept current by its events."""
        return self.context.state

    @property
    def spec(self) -> SpecCard:
        return self.context.spec

    # -- the stint ------------------------------------------------------------------------

    async def run(self) -> RunFinished:
        """Runs the stint to its end; returns how it ended. Always releases the lock."""
        poller = asyncio.create_task(self._poll_inbox())
        work = asyncio.create_task(self._drive())
        self.context.bind_work(work)  # cancelled at once when aborted before it started
        try:
            try:
                await asyncio.wait({work})
            except asyncio.CancelledError:
                # The caller is going away (the TUI closing): end the work like an abort.
                work.cancel()
                with contextlib.suppress(BaseException):
                    await work
                self._finish("aborted", "interrupted: the program running the loop ended")
                raise
            status: RunStatus
            if work.cancelled():
                current = self.context.current_iteration
                where = f" during iteration {current}" if current else ""
                status, reason = (
                    "aborted",
                    (
                        f"aborted by the user{where}; everything written so far is kept, and "
                        f"`jitskit resume {self.ws.ref}` redoes the unfinished iteration"
                    ),
                )
            else:
                exc = work.exception()
                if exc is not None:
                    status, reason = "failed", self._crash_reason(exc)
                else:
                    status, reason = work.result()
            return self._finish(status, reason)
        finally:
            poller.cancel()
            with contextlib.suppress(BaseException):
                await poller
            await self.close()

    def _finish(self, status: RunStatus, reason: str) -> RunFinished:
        run = self.context
        run.set_state("stopped", status)
        finished = run.emit(
            RunFinished(
                status=status,
                reason=reason,
                completed=run.state.completed,
                best_iteration=run.state.best_iteration,
                best_ops_s=run.state.best_ops_s,
                headline=self._headline,
            )
        )
        assert isinstance(finished, RunFinished)
        return finished

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            await self.agent.close()
        with contextlib.suppress(OSError):
            await self.log.sync()
        self.log.close()
        self._lock.release()

    def _crash_reason(self, exc: BaseException) -> str:
        log = self.ws.logs / "engine-error.log"
        with contextlib.suppress(OSError):
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("".join(traceback.format_exception(exc)))
        message = f"internal error: {exc!r} (details in {log}; please report it)"
        self.context.emit(
            ErrorRaised(
                iteration=self.context.current_iteration,
                where="engine",
                message=message,
                next_step=f"`jitskit resume {self.ws.ref}` continues from the last iteration",
                fatal=True,
            )
        )
        return message

    async def _drive(self) -> tuple[RunStatus, str]:
        run, machine = self.context, self.machine
        try:
            await begin_stint(
                run,
                agent=self.agent.name,
                agent_options=self.options.agent_options,
                machine=machine.label,
                naive=self.options.naive,
                allow_smaller_machine=self.options.allow_smaller_machine,
            )
            await machine.check()
            # A machine smaller than the card is refused before any agent or build works.
            check_fit(
                run.spec, await machine.facts(), allow_smaller=self.options.allow_smaller_machine
            )
            await measure_baseline(run, self.options.baseline, machine)
            if self.options.naive:
                return await self._naive()
            while True:
                await self._between_iterations()
                reason = run.budget.reason_to_stop()
                if reason is not None:
                    return await self._ending("finished", reason)
                if run.stopping:
                    stopped = f"stopped by the user after {run.state.completed} iterations"
                    return await self._ending("stopped", stopped)
                await run.checkpoint()
                await self._between_iterations()  # asked while paused
                # A stop sent while paused ends the stint at the top of the loop; a fork
                # sent while paused applies to the iteration about to start.
                if not run.stopping:
                    fork = run.take_fork_request()
                    if fork is not None:
                        await fork_branch(run, fork)
                    bench = Bench(
                        machine,
                        self.options.size,
                        self.options.seed,
                        self.options.allow_smaller_machine,
                    )
                    await IterationRunner(run, self.agent, bench).run_iteration()
        except MachineError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            return self._fatal(
                "benchmark machine", f"cannot evaluate on {exc.machine}: {exc.message}{hint}"
            )
        except AgentFatalError as exc:
            return self._fatal(f"{self.agent.name} agent", exc.message, exc.next_step)
        except WorkspaceError as exc:
            return self._fatal("workspace", str(exc))

    async def _naive(self) -> tuple[RunStatus, str]:
        """The naive experiment's one session, in place of the loop."""
        run = self.context
        reason = run.budget.reason_to_stop()
        if reason is not None:
            return "finished", reason
        await run.checkpoint()
        bench = Bench(self.machine, self.options.size, self.options.seed)
        ended = await NaiveSession(run, self.agent, bench).run_session()
        if run.stopping:
            return "stopped", f"stopped by the user after {run.state.completed} iterations"
        return "finished", run.budget.reason_to_stop() or ended

    async def _between_iterations(self) -> None:
        """What controls asked for, done where no evaluation runs: the baselines measured
        again, the headline measured."""
        run = self.context
        await remeasure_if_asked(run, self.options.baseline, self.machine)
        if run.take_confirm_request():
            self._headline = await self._measure_headline(
                self.options.baseline or measured_baselines
            )

    async def _ending(self, status: RunStatus, reason: str) -> tuple[RunStatus, str]:
        """A run that ends finished or stopped reports its headline first; one with no
        baseline to pair against says how to get one instead of measuring a figure that
        answers nothing."""
        run = self.context
        run.take_confirm_request()
        if run.state.baseline_figures:
            self._headline = await self._measure_headline(None)
            return status, reason
        why = (
            "the run was started without baselines"
            if self.options.baseline is None
            else "no comparable baseline passed the gates, so none can be paired with the best"
        )
        self._headline = (
            f"no headline: {why}; `jitskit confirm {self.ws.ref}` measures the baselines and "
            "the headline"
        )
        return status, reason

    async def _measure_headline(self, baselines: BaselineSource | None) -> str:
        """The headline in words, or why there is none; a failure is reported, never
        fatal (the iterations are all committed)."""
        run = self.context
        try:
            event = await measure_headline(run, self.machine, baselines=baselines)
        except NoHeadline as exc:
            return f"no headline: {exc}"
        except MachineError as exc:
            message = f"cannot evaluate on {exc.machine}: {exc.message}"
        except Exception as exc:
            log = self.ws.logs / "headline-error.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("".join(traceback.format_exception(exc)))
            message = f"measuring it failed: {exc!r} (details in {log})"
        else:
            return event.text
        run.emit(
            ErrorRaised(
                where="headline",
                message=message,
                next_step=f"`jitskit confirm {self.ws.ref}` measures it again",
            )
        )
        return f"no headline: {message}"

    def _fatal(self, where: str, message: str, next_step: str = "") -> tuple[RunStatus, str]:
        self.context.emit(
            ErrorRaised(
                iteration=self.context.current_iteration,
                where=where,
                message=message,
                next_step=next_step,
                fatal=True,
            )
        )
        return "failed", f"{where}: {message}" + (f"; {next_step}" if next_step else "")

    # -- controls -------------------------------------------------------------------------

    async def _poll_inbox(self) -> None:
        while True:
            try:
                items = await asyncio.to_thread(drain_inbox, self.ws)
            except OSError as exc:
                items = []
                self.context.emit(
                    ErrorRaised(
                        where=f"control inbox {self.ws.control}",
                        message=f"cannot read it: {exc}",
                        next_step="check the workspace's permissions; in-process controls work",
                    )
                )
                await asyncio.sleep(5)
            for item in items:
                if item.control is None:
                    self.context.emit(
                        ErrorRaised(
                            where=f"control inbox ({item.path.name})",
                            message=item.problem,
                            next_step="send controls with `jitskit control RUN ...`",
                        )
                    )
                else:
                    self.handle_control(item.control)
            await asyncio.sleep(self.options.control_poll_s)

    def handle_control(self, control: Control) -> ControlReceived:
        """Applies a control now; raises :class:`NotLive` once the stint has ended."""
        if self._closed:
            raise NotLive(f"run {self.ws.ref} has ended; resume it to control it")
        return control_handling.handle(
            self.context, control, own_baselines=self.options.baseline is not None
        )

    async def control(self, control: Control) -> ControlReceived:
        """Takes a control in-process (the TUI); returns the `control_received` event."""
        return self.handle_control(control)
