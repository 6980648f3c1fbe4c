"""A run as the engine's steps see it: its state, its event log, and every transition.

The :class:`RunContext` owns what one stint of a run knows and changes: the state folded
from the log (and kept current by it), emitting events, the loop state and the pause
point, the requests controls leave for a point between steps (stop, abort, fork, audit,
baselines), the iteration running now and the one the next builds on (the head), the
baseline the ratio is against, and the committed records. The engine's steps (starting
a stint, measuring baselines, an iteration, the audit, handling controls) receive it
and change the run only through its methods, so its invariants live here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.budget import BudgetAuthority
from jitskit_tui.engine.eventlog import EventLog, read_events
from jitskit_tui.engine.reporting import EventSink
from jitskit_tui.engine.state import RunState, SteeringView
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.harness.bundle import harness_dir
from jitskit_tui.protocol.events import (
    Delivery,
    Event,
    LoopState,
    LoopStateChanged,
    Role,
    SteeringApplied,
)
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.spec import SpecError, load_spec
from jitskit_tui.spec.model import SpecCard


class EngineError(Exception):
    """The run cannot start or go on (with the workspace and what to do)."""


def load_frozen_spec(ws: Workspace) -> tuple[SpecCard, str]:
    """The run's frozen `spec.yaml`, parsed and as written; :class:`EngineError` when it
    does not load."""
    try:
        spec = load_spec(ws.spec_file)
    except SpecError as err:
        first = str(err.issues[0]) if err.issues else "invalid"
        raise EngineError(f"{ws.spec_file}: the run's frozen spec does not load: {first}") from None
    return spec, ws.spec_file.read_text()


class RunContext:
    """One run, for one stint of the engine on it."""

    def __init__(
        self,
        ws: Workspace,
        spec: SpecCard,
        spec_text: str,
        state: RunState,
        log: EventLog,
        *,
        iterations: int | None = None,
    ) -> None:
        """``state`` is folded from ``log``'s past; from now on the log keeps it current.
        ``iterations``: the run's budget (``None``: the last stint's on resume, else the
        spec's)."""
        self.ws = ws
        self.spec = spec
        self.spec_text = spec_text
        self.header_text = (harness_dir() / "include" / "jitskit" / "kvstore.h").read_text()
        self.state = state
        self.log = log
        log.subscribe(state.apply)
        self.resuming = bool(state.stints)
        """Whether the run has stints before this one."""
        self.iterations_budget = iterations or (
            state.iterations_budget if self.resuming else spec.loop.iterations
        )
        self.budget = BudgetAuthority(spec.loop.budget, state, self.iterations_budget)
        self._current: int | None = None
        self._head = 0
        self._baseline: tuple[str, float] | None = None
        self._records: dict[int, IterationRecord] = {}
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stop = False
        self._abort = False
        self._work: asyncio.Future[Any] | None = None
        self._fork: int | None = None
        self._audit = False
        self._baselines: bool | None = None
        self._confirm = False

    @classmethod
    def open(
        cls,
        ws: Workspace,
        *,
        iterations: int | None = None,
        frozen: tuple[SpecCard, str] | None = None,
    ) -> RunContext:
        """The run in ``ws``: its frozen spec (``frozen``, when already loaded), its log
        replayed and opened for appending. (The engine takes the run's lock first; a test
        may open one without it.)"""
        spec, spec_text = frozen or load_frozen_spec(ws)
        past = read_events(ws.events) if ws.events.is_file() else []
        state = RunState.from_events(past)
        return cls(ws, spec, spec_text, state, EventLog(ws.events), iterations=iterations)

    # -- events and the loop state ------------------------------------------------------

    def emit(self, event: Event) -> Event:
        """Logs ``event`` (stamped with its sequence number and time) and folds it."""
        return self.log.append(event)

    def set_state(self, state: LoopState, detail: str = "") -> None:
        if state != self.state.loop_state or detail != self.state.loop_detail:
            self.emit(LoopStateChanged(iteration=self._current, state=state, detail=detail))

    def sink(self, role: Role, iteration: int) -> EventSink:
        """Where ``role``'s turn in ``iteration`` reports (and sees the budget)."""
        return EventSink(self.emit, role, iteration, self.budget)

    def hand_over_steering(
        self, delivery: Delivery, role: Role, iteration: int
    ) -> list[SteeringView]:
        """The pending steering for ``delivery``, now logged as applied to ``role``: each
        piece is handed over once, as it reads at this moment (edits included)."""
        handed = self.state.pending_steering(delivery)
        for pending in handed:
            self.emit(
                SteeringApplied(
                    iteration=iteration, steering_id=pending.id, role=role, delivery=delivery
                )
            )
        return handed

    # -- pause ----------------------------------------------------------------------------

    async def checkpoint(self) -> None:
        """Waits here while the run is paused (step and tool boundaries)."""
        if self._resumed.is_set():
            return
        before = self.state.loop_state
        self.set_state("paused")
        await self._resumed.wait()
        self.set_state(before)

    def pause(self) -> None:
        self._resumed.clear()

    def unpause(self) -> None:
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    # -- the iteration and the head -------------------------------------------------------

    @property
    def current_iteration(self) -> int | None:
        """The iteration running now (``None`` between iterations)."""
        return self._current

    @property
    def head_iteration(self) -> int:
        """The iteration the next one builds on (0: the run's initial commit)."""
        return self._head

    def begin_iteration(self, n: int) -> None:
        self._current = n

    def move_head(self, n: int) -> None:
        """The next iteration builds on ``n``: just committed, forked from, or resumed at."""
        self._head = n

    def finish_iteration(self) -> None:
        """The running iteration is committed and logged: the run is between iterations."""
        self._current = None

    # -- the baseline ---------------------------------------------------------------------

    @property
    def baseline(self) -> tuple[str, float] | None:
        """The best comparable baseline the ratio is against (name, ops/s), when known."""
        return self._baseline

    def set_baseline(self, found: tuple[str, float] | None) -> None:
        self._baseline = found

    # -- committed records ----------------------------------------------------------------

    def remember(self, record: IterationRecord) -> None:
        """Keeps a just-committed record, so reading it back needs no git."""
        self._records[record.iteration] = record

    async def load_record(self, n: int, sha: str | None = None) -> IterationRecord | None:
        """Iteration N's committed record (cached); ``None`` when it has none."""
        if n in self._records:
            return self._records[n]
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
        self._records[n] = record
        return record

    # -- requests left by controls for a point between steps -----------------------------

    @property
    def stopping(self) -> bool:
        return self._stop

    def request_stop(self) -> None:
        """Stop once the running iteration is committed (a paused run goes on to stop)."""
        self._stop = True
        self.unpause()

    def bind_work(self, work: asyncio.Future[Any]) -> None:
        """The stint's work, which an abort cancels (at once, if one came first)."""
        self._work = work
        if self._abort:
            work.cancel()

    def request_abort(self) -> None:
        self._abort = True
        if self._work is not None and not self._work.done():
            self._work.cancel()

    def request_fork(self, from_iteration: int) -> None:
        self._fork = from_iteration

    def take_fork_request(self) -> int | None:
        """The iteration to fork from before the next iteration, once; ``None``: no fork."""
        requested, self._fork = self._fork, None
        return requested

    def request_audit(self) -> None:
        self._audit = True

    def take_audit_request(self) -> bool:
        requested, self._audit = self._audit, False
        return requested

    @property
    def baselines_requested(self) -> bool:
        """Whether a `baselines` control waits for the next point between iterations."""
        return self._baselines is not None

    def request_baselines(self, refresh: bool) -> None:
        self._baselines = refresh or bool(self._baselines)

    def take_baselines_request(self) -> bool | None:
        """``None`` when nobody asked; else whether to measure past the cache."""
        requested, self._baselines = self._baselines, None
        return requested

    @property
    def confirm_requested(self) -> bool:
        """Whether a `confirm` control waits for the next point between iterations."""
        return self._confirm

    def request_confirm(self) -> None:
        self._confirm = True

    def take_confirm_request(self) -> bool:
        requested, self._confirm = self._confirm, False
        return requested
