"""The refinement loop: plan, code, evaluate, critique, audit, commit; again.

An :class:`Engine` drives one run's workspace for one session. It holds the workspace's
lock while it lives, appends every event to the run's log, and takes controls in-process
(:meth:`Engine.control`) or from the workspace's inbox (another terminal). A session ends
when the budget is used up, the user stops or aborts it, or going on is pointless
(unreachable machine, no compiler, a fatal agent error); it can be resumed later.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from jitskit_tui.engine import control_handling, gitrepo
from jitskit_tui.engine.baseline import BaselineSource
from jitskit_tui.engine.eventlog import EventLog, read_events
from jitskit_tui.engine.inbox import NotLive, drain_inbox
from jitskit_tui.engine.iteration import IterationRunner
from jitskit_tui.engine.session import begin_session, measure_baseline, remeasure_if_asked
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import RunLock, Workspace, WorkspaceError
from jitskit_tui.harness.bundle import harness_dir
from jitskit_tui.harness.config import Size
from jitskit_tui.protocol.agent import Agent, AgentFatalError, Brief
from jitskit_tui.protocol.controls import Control
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    AgentTurnStarted,
    BranchForked,
    ControlReceived,
    ErrorRaised,
    Event,
    LoopState,
    LoopStateChanged,
    Role,
    RunFinished,
    RunStatus,
)
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.spec import SpecError, load_spec

T = TypeVar("T")


@dataclass
class EngineOptions:
    iterations: int | None = None
    """The run's iteration budget (all branches); ``None``: the spec's, or the last
    session's on resume."""
    size: Size = "quick"
    baseline: BaselineSource | None = None
    """Where the best comparable baseline comes from; ``None``: the ratio is unknown."""
    fork_from: int | None = None
    """Start this session on a new branch from that iteration (resume --fork)."""
    control_poll_s: float = 0.1
    seed: int | None = None
    """Seeds the evaluator's kill moment and canary (tests); ``None`` draws one."""
    agent_options: dict[str, str] = field(default_factory=dict)
    """Recorded with the run so a resume makes the same agent (scripted pace, trajectory)."""


@dataclass(frozen=True)
class Turn(Generic[T]):
    """How an agent turn ended: its value, or ``None`` and the error."""

    value: T | None
    error: str


class EngineError(Exception):
    """The run cannot start or go on (with the workspace and what to do)."""


class Engine:
    """One session of one run."""

    def __init__(
        self, ws: Workspace, agent: Agent, machine: BenchMachine, options: EngineOptions
    ) -> None:
        """Takes the workspace's lock and opens its log; nothing else happens until
        :meth:`run`. Raises :class:`WorkspaceError` when another engine holds the run."""
        self.ws = ws
        self.agent = agent
        self.machine = machine
        self.options = options
        try:
            self.spec = load_spec(ws.spec_file)
        except SpecError as err:
            first = str(err.issues[0]) if err.issues else "invalid"
            raise EngineError(
                f"{ws.spec_file}: the run's frozen spec does not load: {first}"
            ) from None
        self.spec_text = ws.spec_file.read_text()
        self.header_text = (harness_dir() / "include" / "jitskit" / "kvstore.h").read_text()
        self._lock = RunLock(ws)
        self._lock.acquire()
        try:
            past = read_events(ws.events) if ws.events.is_file() else []
            self.state = RunState.from_events(past)
            self.log = EventLog(ws.events)
        except Exception:
            self._lock.release()
            raise
        self.log.subscribe(self.state.apply)
        self.resuming = bool(self.state.stints)
        self.budget = options.iterations or (
            self.state.iterations_budget if self.resuming else self.spec.loop.iterations
        )
        self.head_iteration = 0
        self.current_iteration: int | None = None
        self.baseline: tuple[str, float] | None = None
        self.records: dict[int, IterationRecord] = {}
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stop_requested = False
        self._abort_requested = False
        self._audit_requested = False
        self.baselines_request: bool | None = None
        """The `baselines` control waiting for a point between iterations (its refresh)."""
        self._fork_requested: int | None = options.fork_from
        self._work: asyncio.Task[tuple[RunStatus, str]] | None = None
        self._closed = False

    # -- events and state ---------------------------------------------------------------

    def emit(self, event: Event) -> Event:
        return self.log.append(event)

    def set_state(self, state: LoopState, detail: str = "") -> None:
        if state != self.state.loop_state or detail != self.state.loop_detail:
            self.emit(
                LoopStateChanged(iteration=self.current_iteration, state=state, detail=detail)
            )

    async def checkpoint(self) -> None:
        """Waits here while the run is paused (step and tool boundaries)."""
        if self._resumed.is_set():
            return
        before = self.state.loop_state
        self.set_state("paused")
        await self._resumed.wait()
        self.set_state(before)

    # -- the session --------------------------------------------------------------------

    async def run(self) -> RunFinished:
        """Runs the session to its end; returns how it ended. Always releases the lock."""
        poller = asyncio.create_task(self._poll_inbox())
        self._work = asyncio.create_task(self._session())
        if self._abort_requested:  # aborted before it started
            self._work.cancel()
        try:
            try:
                await asyncio.wait({self._work})
            except asyncio.CancelledError:
                # The caller is going away (the TUI closing): end the work like an abort.
                self._work.cancel()
                with contextlib.suppress(BaseException):
                    await self._work
                self._finish("aborted", "interrupted: the program running the loop ended")
                raise
            status: RunStatus
            if self._work.cancelled():
                where = (
                    f" during iteration {self.current_iteration}" if self.current_iteration else ""
                )
                status, reason = (
                    "aborted",
                    (
                        f"aborted by the user{where}; everything written so far is kept, and "
                        f"`jitskit resume {self.ws.ref}` redoes the unfinished iteration"
                    ),
                )
            else:
                exc = self._work.exception()
                if exc is not None:
                    status, reason = "failed", self._crash_reason(exc)
                else:
                    status, reason = self._work.result()
            return self._finish(status, reason)
        finally:
            poller.cancel()
            with contextlib.suppress(BaseException):
                await poller
            await self.close()

    def _finish(self, status: RunStatus, reason: str) -> RunFinished:
        self.set_state("stopped", status)
        finished = self.emit(
            RunFinished(
                status=status,
                reason=reason,
                completed=self.state.completed,
                best_iteration=self.state.best_iteration,
                best_ops_s=self.state.best_ops_s,
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
        self.emit(
            ErrorRaised(
                iteration=self.current_iteration,
                where="engine",
                message=message,
                next_step=f"`jitskit resume {self.ws.ref}` continues from the last iteration",
                fatal=True,
            )
        )
        return message

    async def _session(self) -> tuple[RunStatus, str]:
        try:
            await begin_session(self)
            await self.machine.check()
            await measure_baseline(self)
            while True:
                await remeasure_if_asked(self)
                reason = self._budget_reason()
                if reason is not None:
                    return "finished", reason
                if self.stopping:
                    return "stopped", f"stopped by the user after {self.state.completed} iterations"
                await self.checkpoint()
                await remeasure_if_asked(self)  # asked for while paused
                # A stop sent while paused ends the session at the top of the loop; a fork
                # sent while paused applies to the iteration about to start.
                if not self.stopping:
                    if self._fork_requested is not None:
                        await self._fork(self._fork_requested)
                        self._fork_requested = None
                    await IterationRunner(self).run()
        except MachineError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            return self._fatal(
                "benchmark machine", f"cannot evaluate on {exc.machine}: {exc.message}{hint}"
            )
        except AgentFatalError as exc:
            return self._fatal(f"{self.agent.name} agent", exc.message, exc.next_step)
        except WorkspaceError as exc:
            return self._fatal("workspace", str(exc))

    def _fatal(self, where: str, message: str, next_step: str = "") -> tuple[RunStatus, str]:
        self.emit(
            ErrorRaised(
                iteration=self.current_iteration,
                where=where,
                message=message,
                next_step=next_step,
                fatal=True,
            )
        )
        return "failed", f"{where}: {message}" + (f"; {next_step}" if next_step else "")

    def _budget_reason(self) -> str | None:
        done = self.state.completed
        if done >= self.budget:
            return f"budget used up ({done} of {self.budget} iterations)"
        caps = self.spec.loop.budget
        cost = self.state.total_cost
        if caps.dollars is not None and cost.dollars >= caps.dollars:
            return f"dollar budget used up (${cost.dollars:.2f} of ${caps.dollars:.2f})"
        if caps.tokens is not None and cost.tokens >= caps.tokens:
            return f"token budget used up ({cost.tokens:,} of {caps.tokens:,})"
        if caps.wall_time is not None and self.state.active_seconds >= caps.wall_time:
            return f"wall-time budget used up ({self.state.active_seconds / 60:.0f} min)"
        return None

    async def _fork(self, from_iteration: int) -> None:
        if from_iteration == 0:
            sha = await asyncio.to_thread(gitrepo.initial_sha, self.ws)
        else:
            sha = self.state.iterations[from_iteration].commit
        branch = await asyncio.to_thread(gitrepo.fork, self.ws, sha, from_iteration)
        self.head_iteration = from_iteration
        self.emit(BranchForked(from_iteration=from_iteration, branch=branch, sha=sha))

    # -- what the iteration runner and the tools use ------------------------------------

    def brief(self, iteration: int, step: int, parent: int) -> Brief:
        return Brief(
            spec=self.spec,
            spec_text=self.spec_text,
            header=self.header_text,
            workspace=self.ws.root,
            iteration=iteration,
            step=step,
            parent_iteration=parent,
            iterations_budget=self.budget,
            machine=self.machine.label,
        )

    async def load_record(self, n: int, sha: str | None = None) -> IterationRecord | None:
        """Iteration N's committed record (cached)."""
        if n in self.records:
            return self.records[n]
        sha = sha or (self.state.iterations[n].commit if n in self.state.iterations else None)
        if not sha:
            return None
        text = await asyncio.to_thread(
            gitrepo.show_file, self.ws, sha, f"results/iteration-{n}.json"
        )
        if text is None:
            return None
        try:
            record = IterationRecord.model_validate_json(text)
        except ValueError:
            return None
        self.records[n] = record
        return record

    async def turn(
        self,
        role: Role,
        iteration: int,
        work: Awaitable[T],
        describe: Callable[[T], tuple[str, str]],
    ) -> Turn[T]:
        """Runs one agent turn with its start and finish events; returns its value, or
        ``None`` and the error (an agent error is an outcome, not a crash). ``describe``
        gives the finished turn's output and one-line title for the log."""
        self.emit(AgentTurnStarted(iteration=iteration, role=role, agent=self.agent.name))
        try:
            value = await work
        except (asyncio.CancelledError, AgentFatalError, MachineError):
            self.emit(
                AgentTurnFinished(iteration=iteration, role=role, ok=False, error="cancelled")
            )
            raise
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            self.emit(AgentTurnFinished(iteration=iteration, role=role, ok=False, error=message))
            self.emit(
                ErrorRaised(
                    iteration=iteration,
                    where=f"iteration {iteration}: {role}",
                    message=f"the {role} failed: {message}",
                    next_step="recorded as this iteration's outcome; the loop goes on",
                )
            )
            return Turn(None, message)
        output, title = describe(value)
        self.emit(
            AgentTurnFinished(iteration=iteration, role=role, ok=True, output=output, title=title)
        )
        return Turn(value, "")

    # -- the control inbox ---------------------------------------------------------------

    async def _poll_inbox(self) -> None:
        while True:
            try:
                items = await asyncio.to_thread(drain_inbox, self.ws)
            except OSError as exc:
                items = []
                self.emit(
                    ErrorRaised(
                        where=f"control inbox {self.ws.control}",
                        message=f"cannot read it: {exc}",
                        next_step="check the workspace's permissions; in-process controls work",
                    )
                )
                await asyncio.sleep(5)
            for item in items:
                if item.control is None:
                    self.emit(
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
        """Applies a control now; raises :class:`NotLive` once the session has ended."""
        if self._closed:
            raise NotLive(f"run {self.ws.ref} has ended; resume it to control it")
        return control_handling.handle(self, control)

    async def control(self, control: Control) -> ControlReceived:
        """Takes a control in-process (the TUI); returns the `control_received` event."""
        return self.handle_control(control)

    def pause(self) -> None:
        self._resumed.clear()

    def unpause(self) -> None:
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        self._stop_requested = True
        self.unpause()

    def request_fork(self, from_iteration: int) -> None:
        self._fork_requested = from_iteration

    def request_audit(self) -> None:
        self._audit_requested = True

    def take_audit_request(self) -> bool:
        requested, self._audit_requested = self._audit_requested, False
        return requested

    def request_baselines(self, refresh: bool) -> None:
        self.baselines_request = refresh or bool(self.baselines_request)

    def take_baselines_request(self) -> bool | None:
        """``None`` when nobody asked; else whether to measure past the cache."""
        requested, self.baselines_request = self.baselines_request, None
        return requested

    def request_abort(self) -> None:
        self._abort_requested = True
        if self._work is not None and not self._work.done():
            self._work.cancel()
