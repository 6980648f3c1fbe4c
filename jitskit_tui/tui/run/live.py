"""The evaluation running now (or the last one) as the live chart draws it: its step, its
budget, and its ticks split into trials.

A benchmark is a series of trials, each one side's (the candidate, the incumbent best, a
baseline) in a fresh harness process; a trial's ticks restart at its own zero. The chart
lays the trials one after another on one time axis, a small gap between two, so each
trial's boundaries show, and marks where its warm-up was cut (the ticks flagged `warm`,
then the trial's `trial_finished`, which says exactly where). A log from before trials
has one run of ticks: one trace without boundaries or warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jitskit_tui.protocol.events import (
    BenchTickEvent,
    EvalBudgetAnnounced,
    EvalProgress,
    EvalPurpose,
    TrialFinished,
)
from jitskit_tui.tui.run.series import Series

GAP_S = 0.2
"""Chart seconds between two trials (the boundary between them)."""
MAX_TRACES = 400
"""Trials kept for the chart (a long headline has a few dozen); the oldest go first."""


@dataclass
class TrialTrace:
    """One trial's ticks, placed on the chart's time axis from ``start``."""

    side: str
    trial: int | None
    start: float
    ticks: Series = field(default_factory=lambda: Series(max_points=512))
    warm_until: float | None = None
    """Seconds into the trial up to which its ticks are warm-up (cut from its figures);
    ``None`` when none was seen."""
    steady_ops_s: float | None = None
    """The trial's steady throughput, once it finished (``trial_finished``)."""
    unsteady: bool = False

    @property
    def length(self) -> float:
        return self.ticks.xs[-1] if self.ticks.xs else 0.0

    @property
    def end(self) -> float:
        return self.start + self.length

    @property
    def warming(self) -> bool:
        """Its last tick is still in the warm-up."""
        return self.warm_until is not None and self.warm_until >= self.length


@dataclass
class LiveBench:
    """The evaluation in progress (or the last one): its step and its trials' ticks."""

    iteration: int | None
    purpose: EvalPurpose
    machine: str
    name: str = "candidate"
    """What is evaluated: the candidate, or a baseline (while the ratio is measured)."""
    step: str = ""
    running: bool = True
    traces: list[TrialTrace] = field(default_factory=list)
    last_ops_s: float = 0.0
    budget: EvalBudgetAnnounced | None = None
    """Its phases' budgets and overall bound."""
    progress: EvalProgress | None = None
    """How far its running phase got, against the phase's budget."""

    @property
    def tick_count(self) -> int:
        return sum(len(t.ticks) for t in self.traces)

    @property
    def current(self) -> TrialTrace | None:
        """The trial that ticked last."""
        return self.traces[-1] if self.traces else None

    def tick(self, event: BenchTickEvent) -> None:
        trace = self.current
        new_trial = trace is None or (trace.side, trace.trial) != (event.side, event.trial)
        if trace is not None and not new_trial and event.t_s < trace.length:
            new_trial = True  # a trial's ticks only go forward: another run began
        if trace is None or new_trial:
            start = trace.end + GAP_S if trace is not None else 0.0
            trace = TrialTrace(event.side, event.trial, start)
            self.traces.append(trace)
            del self.traces[:-MAX_TRACES]
        trace.ticks.append(event.t_s, event.ops_s)
        if event.warm:
            trace.warm_until = event.t_s
        self.last_ops_s = event.ops_s

    def trial_finished(self, event: TrialFinished) -> None:
        """A trial's figures: where its warm-up was cut, and its steady throughput."""
        trace = next(
            (t for t in reversed(self.traces) if (t.side, t.trial) == (event.side, event.trial)),
            None,
        )
        if trace is None:
            return
        trace.steady_ops_s = event.throughput_ops_s
        trace.unsteady = event.unsteady
        if event.warmup_s > 0:
            trace.warm_until = event.warmup_s

    def progress_text(self) -> str:
        """``load 212k/1M records · 1.8k/s · budget 2 min``, or ``""``."""
        shown = self.progress
        if shown is None or shown.phase == "run":
            return ""
        return shown.progress().text()
