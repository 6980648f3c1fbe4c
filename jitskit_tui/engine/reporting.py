"""Turning what agents and the evaluator report into the loop's events."""

from __future__ import annotations

import time
from collections.abc import Callable

from jitskit_tui.protocol.agent import BudgetGauge, Compaction, Usage
from jitskit_tui.protocol.events import (
    AgentText,
    AgentThinking,
    BenchResult,
    BenchTickEvent,
    ContextCompacted,
    CostUpdate,
    ErrorRaised,
    EvalBudgetAnnounced,
    EvalProgress,
    EvalPurpose,
    EvalStep,
    Event,
    GateResulted,
    LoopState,
    RetryScheduled,
    Role,
    ToolCallForming,
    TrialFinished,
)
from jitskit_tui.protocol.results import (
    BenchTick,
    EvalBudget,
    EvalResult,
    GateResult,
    PhaseProgress,
    TrialFigures,
)
from jitskit_tui.protocol.texts import failed_gate_names, machine_text

Emit = Callable[[Event], Event]
SetState = Callable[[LoopState], None]

TICK_INTERVAL_S = 0.24
"""At most ~4 ticks a second reach the log however fast the harness ticks (every
``tick_ms``, 100 ms; each tick's ``ops_s`` covers only its own interval)."""

STEP_STATES: dict[str, LoopState] = {
    "build": "building",
    "integrity": "gating",
    "api": "gating",
    "concurrency": "gating",
    "durability": "gating",
    "memory": "gating",
    "audit": "gating",
    "benchmark": "benchmarking",
}


class EventSink:
    """The :class:`~jitskit_tui.protocol.agent.AgentSink` of one role's turn."""

    def __init__(self, emit: Emit, role: Role, iteration: int, budget: BudgetGauge) -> None:
        self._emit = emit
        self.role: Role = role
        self.iteration = iteration
        self.budget = budget
        """The run's budget authority: it counts the `cost_update`s this sink logs."""
        self.text_chars = 0

    def text(self, delta: str) -> None:
        if delta:
            self.text_chars += len(delta)
            self._emit(AgentText(iteration=self.iteration, role=self.role, text=delta))

    def thinking(self, text: str) -> None:
        if text:
            self._emit(AgentThinking(iteration=self.iteration, role=self.role, text=text))

    def usage(self, usage: Usage) -> None:
        self._emit(
            CostUpdate(
                iteration=self.iteration,
                role=self.role,
                model=usage.model,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                dollars=usage.dollars,
                estimated=usage.estimated,
            )
        )

    def retry(self, attempt: int, delay_s: float, reason: str) -> None:
        self._emit(
            RetryScheduled(
                iteration=self.iteration,
                where=f"iteration {self.iteration}: {self.role}",
                attempt=attempt,
                delay_s=delay_s,
                reason=reason,
            )
        )

    def notice(self, message: str, next_step: str = "") -> None:
        self._emit(
            ErrorRaised(
                iteration=self.iteration,
                where=f"iteration {self.iteration}: {self.role}",
                message=message,
                next_step=next_step,
            )
        )

    def tool_forming(self, call_id: str, name: str, input_delta: str, input_chars: int) -> None:
        self._emit(
            ToolCallForming(
                iteration=self.iteration,
                call_id=call_id,
                role=self.role,
                name=name,
                input_delta=input_delta,
                input_chars=input_chars,
            )
        )

    def compacted(self, report: Compaction) -> None:
        self._emit(
            ContextCompacted(
                iteration=self.iteration,
                role=self.role,
                how=report.how,
                turns_folded=report.turns_folded,
                tokens_before=report.tokens_before,
                tokens_after=report.tokens_after,
            )
        )


class EvalEvents:
    """The evaluator's observer: steps, gates and (throttled) ticks as events."""

    def __init__(
        self,
        emit: Emit,
        set_state: SetState,
        purpose: EvalPurpose,
        iteration: int | None,
        name: str = "candidate",
    ) -> None:
        self._emit = emit
        self._set_state = set_state
        self.purpose: EvalPurpose = purpose
        self.iteration = iteration
        self.name = name
        self._last_tick = 0.0
        self._last_stretch: tuple[str, int | None, bool] | None = None
        self._last_progress = 0.0
        self._last_phase = ""

    def on_step(self, step: str) -> None:
        self._set_state(STEP_STATES.get(step, "gating"))
        self._emit(EvalStep(iteration=self.iteration, purpose=self.purpose, step=step))

    def on_tick(self, tick: BenchTick) -> None:
        now = time.monotonic()
        # The first tick of a trial and its first steady one always reach the log: a
        # chart marks the trial boundaries and the warm-up cut from them.
        stretch = (tick.side, tick.trial, tick.warm)
        if now - self._last_tick < TICK_INTERVAL_S and stretch == self._last_stretch:
            return
        self._last_tick, self._last_stretch = now, stretch
        self._emit(
            BenchTickEvent(
                iteration=self.iteration,
                purpose=self.purpose,
                t_s=tick.t_s,
                ops=tick.ops,
                ops_s=tick.ops_s,
                per_op=dict(tick.per_op),
                side=tick.side,
                trial=tick.trial,
                warm=tick.warm,
            )
        )

    def on_trial(self, figures: TrialFigures) -> None:
        self._emit(
            TrialFinished(
                iteration=self.iteration,
                purpose=self.purpose,
                side=figures.side,
                trial=figures.index,
                throughput_ops_s=figures.throughput_ops_s,
                cpu_ns_per_op=figures.cpu_ns_per_op,
                warmup_s=figures.warmup_s,
                unsteady=figures.unsteady,
            )
        )

    def on_budget(self, budget: EvalBudget) -> None:
        self._emit(
            EvalBudgetAnnounced(
                iteration=self.iteration,
                purpose=self.purpose,
                name=self.name,
                phases={p.phase: round(p.seconds, 1) for p in budget.phases},
                overall_s=round(budget.overall_s, 1),
                rate=budget.rate,
                floor_rate=budget.floor_rate,
                note=budget.note,
            )
        )

    def on_progress(self, progress: PhaseProgress) -> None:
        now = time.monotonic()
        # A new phase shows at once; within one, at most ~4 updates a second.
        if progress.phase == self._last_phase and now - self._last_progress < TICK_INTERVAL_S:
            return
        self._last_progress, self._last_phase = now, progress.phase
        self._emit(
            EvalProgress(
                iteration=self.iteration,
                purpose=self.purpose,
                phase=progress.phase,
                done=progress.done,
                total=progress.total,
                unit=progress.unit,
                rate=round(progress.rate, 1),
                budget_s=round(progress.budget_s, 1),
                elapsed_s=round(progress.elapsed_s, 2),
            )
        )

    def on_gate(self, gate: GateResult) -> None:
        self._emit(
            GateResulted(
                iteration=self.iteration,
                purpose=self.purpose,
                name=gate.name,
                passed=gate.passed,
                detail=gate.detail,
                severity=gate.severity,
                seconds=gate.seconds,
            )
        )


def bench_result(
    result: EvalResult,
    purpose: EvalPurpose,
    iteration: int | None = None,
    *,
    baseline: str | None = None,
    ratio: float | None = None,
    baseline_ops_s: float | None = None,
) -> BenchResult:
    """An evaluation's `bench_result` event: its figures with their interval, its paired
    comparisons and the machine's conditions (``baseline`` names the baseline measured,
    or the one ``ratio`` is against)."""
    conditions = result.conditions
    return BenchResult(
        iteration=iteration,
        purpose=purpose,
        verdict=result.verdict,
        throughput_ops_s=result.throughput_ops_s,
        ratio=ratio,
        baseline=baseline,
        baseline_ops_s=baseline_ops_s,
        failed_gates=failed_gate_names(result),
        ops=result.ops,
        memory_peak_bytes=result.memory_peak_bytes,
        memory_budget_bytes=result.memory_budget_bytes,
        machine=machine_text(result),
        warnings=result.warnings,
        smaller_machine=result.smaller_machine,
        throughput=result.throughput,
        comparisons=result.comparisons,
        trials=len(result.trials),
        conditions_warning=conditions.warning if conditions is not None else "",
        floor_ns_per_op=result.floor_ns_per_op,
    )
