"""Watching one harness process against its budgets: deadlocked, slow, or fine.

The harness prints a `progress` event every tick (100 ms) in every phase, from a thread
of its own, whether or not the store completes anything, and a `tick` in the benchmark's
run phase (docs/harness-protocol.md). From them, as they arrive:

- **deadlock**: a phase's count stood still for :data:`~budgets.STALL_S` (10 s): no
  operation completed (Open and Close are one operation each). The process is stopped;
  the verdict says after how much of the phase.
- **slow**: the phase's budget (:mod:`budgets`) ran out while its count kept growing.
  The process is stopped; the verdict names the phase, how far it got, its rate, how long
  the whole phase would take at that rate, and the budget's formula.

Each report also goes to the observer as a :class:`PhaseProgress`, so the command line
and the app show how far every phase got against its budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from jitskit_tui.harness.budgets import STALL_S
from jitskit_tui.protocol.results import PhaseBudget, PhaseProgress
from jitskit_tui.sandbox.base import RunResult
from jitskit_tui.spec.units import format_amount, format_span

CHECK_EVERY_S = 0.25

UNITS: dict[str, str] = {
    "load": "records",
    "run": "operations",
    "verify": "keys",
    "gate-api": "store calls",
    "gate-concurrency": "store calls",
    "gate-concurrency-final": "store calls",
    "gate-concurrency-hammer": "store calls",
    "gate-concurrency-storm": "store calls",
    "durability-write": "acknowledged writes",
    "durability-verify": "keys",
}
"""What a harness phase's count counts; `open` and `close` count Open and Close."""
SINGLE_CALLS = {"open": "Open", "close": "Close"}
OPENS_INSIDE = frozenset({"gate-api", "durability-write", "durability-verify"})
"""Phases whose count includes the store's Open (nothing is counted until it returns)."""


@dataclass(frozen=True)
class Stopped:
    """Why the watchdog stopped a harness process."""

    kind: Literal["deadlock", "slow"]
    phase: str
    """The budget's phase: `load`, `api`, `verify`, ..."""
    detail: str
    """The verdict in words, starting with the phase."""


@dataclass(frozen=True)
class Plan:
    """How one harness process's phases map onto the evaluation's budgets.

    ``steps`` maps a harness phase (`open`, `load`, `gate-api`, ...) to the budget it
    spends; phases not named spend ``default``. A budget's clock starts when its first
    phase starts (the first one's at the process's start: starting up is in it).
    ``totals`` gives the work of phases whose events do not say it (the run's operations).
    """

    budgets: Mapping[str, PhaseBudget]
    default: str
    steps: Mapping[str, str] = field(default_factory=dict)
    totals: Mapping[str, int] = field(default_factory=dict)
    stall_s: float = STALL_S
    counts: bool = True
    """False for a process that prints no progress (only its budget is watched)."""

    def budget_of(self, step: str) -> str:
        return self.steps.get(step, self.default)

    @classmethod
    def whole(cls, phase: str, budget: PhaseBudget, *, counts: bool = True) -> Plan:
        """One budget for the whole process (a gate, the canary, the durability run)."""
        return cls(budgets={phase: budget}, default=phase, counts=counts)


@dataclass
class _Step:
    name: str
    started: float
    done: int = 0
    total: int = 0
    moved: float = 0.0
    """When ``done`` last grew (or the step began)."""
    t_s: float = 0.0
    """Seconds since the step began, by the harness's clock (the rate's denominator)."""

    def rate(self, now: float) -> float:
        # The harness's own clock, else ours (its first event may come late).
        ran = self.t_s if self.t_s > 0 else now - self.started
        return self.done / ran if ran > 0.05 else 0.0


class Watchdog:
    """Reads one harness process's events; :meth:`check` says when to stop it."""

    def __init__(
        self,
        plan: Plan,
        report: Callable[[PhaseProgress], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.report = report
        self.clock = clock
        self.started = clock()
        self.step: _Step | None = None
        self.budget_started: dict[str, float] = {plan.budget_of("start"): self.started}
        self.run_ops_s = 0.0
        """Throughput of the run so far (operations over seconds), for a stopped run."""

    # Events --------------------------------------------------------------------------

    def on_event(self, event: Mapping[str, object]) -> None:
        kind = event.get("event")
        if kind == "progress":
            self._count(
                str(event.get("phase", "")),
                _int(event.get("done")),
                _int(event.get("total")),
                _float(event.get("t_s")),
            )
        elif kind == "tick":
            t_s = _float(event.get("t_s"))
            ops = _int(event.get("ops"))
            if t_s > 0:
                self.run_ops_s = ops / t_s
            self._count("run", ops, self.plan.totals.get("run", 0), t_s)

    def _count(self, name: str, done: int, total: int, t_s: float) -> None:
        now = self.clock()
        step = self.step
        if step is None or step.name != name:
            step = self.step = _Step(name, now, moved=now)
            self.budget_started.setdefault(self.plan.budget_of(name), now)
        if done > step.done:
            step.moved = now
        step.done, step.total = done, total or self.plan.totals.get(name, 0)
        step.t_s = t_s
        if self.report is not None:
            self.report(self.progress(now))

    def progress(self, now: float) -> PhaseProgress:
        step = self.step
        assert step is not None
        phase = self.plan.budget_of(step.name)
        budget = self.plan.budgets[phase]
        return PhaseProgress(
            phase=phase,
            done=step.done,
            total=step.total,
            unit=UNITS.get(step.name, SINGLE_CALLS.get(step.name, "calls")),
            rate=step.rate(now),
            elapsed_s=now - self.budget_started.get(phase, self.started),
            budget_s=budget.seconds,
        )

    # Verdicts ------------------------------------------------------------------------

    def check(self) -> Stopped | None:
        """Whether the process must be stopped now, and why."""
        now = self.clock()
        step = self.step
        phase = self.plan.budget_of(step.name if step else "start")
        budget = self.plan.budgets[phase]
        if self.plan.counts:
            stalled = self._stalled(now, phase)
            if stalled is not None:
                return stalled
        spent = now - self.budget_started.get(phase, self.started)
        if spent > budget.seconds:
            return Stopped("slow", phase, self._slow(phase, budget, spent, now))
        return None

    def _stalled(self, now: float, phase: str) -> Stopped | None:
        step = self.step
        if step is None:
            # Starting up (generating the trace) before the first phase's events.
            limit = max(self.plan.stall_s, self.plan.budgets[phase].allowance_s)
            if now - self.started <= limit:
                return None
            return Stopped(
                "deadlock",
                phase,
                f"{phase}: the harness reported nothing for {limit:.0f} s after it started: "
                "the store is deadlocked or blocked before Open (in its constructor?)",
            )
        if now - step.moved <= self.plan.stall_s:
            return None
        quiet = self.plan.stall_s
        call = SINGLE_CALLS.get(step.name)
        if call is not None:
            what = f"{call} did not return within {quiet:.0f} s"
        elif step.done == 0:
            first = " (Open is the first)" if step.name in OPENS_INSIDE else ""
            what = f"no store call returned within {quiet:.0f} s of {step.name}'s start{first}"
        else:
            unit = UNITS.get(step.name, "store calls")
            after = format_amount(step.done) + (
                f" of {format_amount(step.total)}" if step.total else ""
            )
            what = f"no operation completed for {quiet:.0f} s after {after} {unit}"
            if step.name != phase and step.name not in UNITS:
                what += f" ({step.name})"
        return Stopped("deadlock", phase, f"{phase}: {what}: the store is deadlocked or blocked")

    def _slow(self, phase: str, budget: PhaseBudget, spent: float, now: float) -> str:
        step = self.step
        formula = f"budget {format_span(budget.seconds)} = {budget.formula()}"
        if step is None or self.plan.budget_of(step.name) != phase or step.name in SINGLE_CALLS:
            where = f" (in {SINGLE_CALLS.get(step.name, step.name)})" if step else ""
            return f"{phase}: not finished after {spent:.0f} s{where}; {formula}"
        unit = UNITS.get(step.name, "store calls")
        rate = step.rate(now)
        amount = format_amount(step.done) + (
            f" of {format_amount(step.total)}" if step.total else ""
        )
        text = f"{phase}: {amount} {unit} in {spent:.0f} s, {format_amount(rate)} {unit}/s"
        if step.total and rate > 0:
            # The whole phase at this rate, with what its budget spent before the step.
            before = now - self.budget_started.get(phase, self.started) - step.done / rate
            whole = max(before, 0.0) + step.total / rate
            text += f"; at this rate {format_span(whole)}"
        return f"{text}; {formula}"


async def watched(
    command: Awaitable[RunResult], watchdog: Watchdog | None
) -> tuple[RunResult, Stopped | None]:
    """Runs a sandboxed command, stopping it (everything it started is killed) when the
    watchdog says; a stopped command's result has no output."""
    task = asyncio.ensure_future(command)
    if watchdog is None:
        return await task, None
    started = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=CHECK_EVERY_S)
            if done:
                return task.result(), None
            stopped = watchdog.check()
            if stopped is not None:
                break
    except BaseException:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    ended = RunResult(
        exit_code=None,
        signal=int(signal.SIGKILL),
        timed_out=False,
        oom_killed=False,
        stdout="",
        stderr=f"stopped by the evaluator: {stopped.detail}",
        wall_s=time.monotonic() - started,
    )
    return ended, stopped


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
