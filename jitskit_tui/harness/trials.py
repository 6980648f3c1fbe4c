"""Rounds of trials: every side once per round, in a seeded random order, until the
stopping rule says stop (docs/measurement.md).

A trial is a fresh harness process running `bench` on the same pre-generated trace,
time-bounded, its warm-up cut. Running the sides of a round back to back, in an order
drawn anew each round, spreads whatever the machine does over all of them alike, so the
per-round ratios cancel it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from jitskit_tui.harness import stats
from jitskit_tui.harness.eval_run import EvalRun
from jitskit_tui.harness.gate_benchmark import benchmark_gate, clock_skew
from jitskit_tui.harness.modes import ModeOutput, ended_how, figures_from, run_mode
from jitskit_tui.harness.stopping import TrialSettings, Watched, stop_reason
from jitskit_tui.harness.watchdog import Watchdog
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.results import (
    BenchFigures,
    BenchTick,
    GateResult,
    TimelinePoint,
    TrialFigures,
)

UNSTEADY = 0.10
"""A trial whose steady window's halves differ by more than this is flagged unsteady."""

TrialWatch = Callable[[], tuple[Watchdog, float]]
"""A fresh watchdog for one trial's process (its phases' budgets) and its backstop."""


@dataclass
class Side:
    """One store measured in the trials, and what its trials gave."""

    name: str
    binary: str
    run: EvalRun
    """Its own evaluation state: the candidate's, or a peer's (its logs, tampering)."""
    threshold: float | None = None
    outputs: list[ModeOutput] = field(default_factory=list)
    figures: list[BenchFigures] = field(default_factory=list)
    trials: list[TrialFigures] = field(default_factory=list)
    broken: str = ""
    """Why its trials stopped early (a crash, no operation completed); it is not
    measured further and not compared."""
    partial_ops_s: float = 0.0
    """The throughput a trial's ticks showed before the watchdog stopped it."""

    @property
    def throughputs(self) -> list[float]:
        return [t.throughput_ops_s for t in self.trials]

    def throughput(self, looks: int) -> Interval | None:
        return stats.log_interval(self.throughputs, looks) if self.trials else None


@dataclass
class TrialsOutcome:
    rounds: int
    stop: str
    """Why the rounds stopped, in words."""
    looks: int


async def run_rounds(
    candidate: Side,
    peers: list[Side],
    settings: TrialSettings,
    *,
    configs: tuple[str, str],
    watch: TrialWatch,
    counting: bool,
) -> TrialsOutcome:
    """Runs rounds until the stopping rule, the candidate's own failure, or (when the
    candidate does not count, a gate having failed) exactly ``settings.min`` rounds.
    ``configs``: the harness configurations of a side's first trial and of the others."""
    run = candidate.run
    started = time.monotonic()
    rounds = 0
    while True:
        began = time.monotonic()
        sides = [s for s in (candidate, *peers) if not s.broken]
        for side in run.rng.sample(sides, len(sides)):
            await _trial(side, rounds, configs[0] if rounds == 0 else configs[1], watch)
        rounds += 1
        # The next round is expected to take as long as this one: the time cap holds when
        # it would end past the cap (a round is never cut in half).
        elapsed = time.monotonic() - started + (time.monotonic() - began)
        if candidate.broken:
            return TrialsOutcome(rounds, f"the candidate's trial failed: {candidate.broken}", 1)
        if not counting and rounds >= settings.min:
            return TrialsOutcome(
                rounds, f"{rounds} rounds: a gate failed, so the figure does not count", 1
            )
        reason = stop_reason(rounds, settings, watched(candidate, peers, settings), elapsed)
        if reason is not None:
            return TrialsOutcome(rounds, reason, settings.look_count)


def watched(candidate: Side, peers: list[Side], settings: TrialSettings) -> list[Watched]:
    """What the stopping rule waits on: each comparison, or with no peer left to compare
    with, the candidate's own throughput."""
    looks = settings.look_count
    found = [
        Watched(comparison.ratio, peer.threshold)
        for peer in peers
        if (comparison := compare(candidate, peer, looks)) is not None
    ]
    if found:
        return found
    own = candidate.throughput(looks)
    return [Watched(own)] if own is not None else []


def compare(candidate: Side, peer: Side, looks: int) -> Comparison | None:
    """The candidate over ``peer`` on the rounds both measured; ``None`` when the peer
    broke down or there is no round in common."""
    if peer.broken:
        return None
    theirs = {t.index: t.throughput_ops_s for t in peer.trials}
    mine = [t for t in candidate.trials if t.index in theirs]
    if not mine:
        return None
    return stats.compare(
        [t.throughput_ops_s for t in mine], [theirs[t.index] for t in mine], peer.name, looks
    )


async def _trial(side: Side, index: int, config: str, watch: TrialWatch) -> None:
    run = side.run
    await run.reset_data()
    arrivals: list[tuple[float, float]] = []
    ticks: list[BenchTick] = []
    offset = run.timeline[-1].t_s if run.timeline else 0.0

    def tick(t: BenchTick) -> None:
        arrivals.append((time.monotonic(), t.t_s))
        ticks.append(t)
        run.timeline.append(TimelinePoint(t_s=offset + t.t_s, ops_s=t.ops_s))
        run.observer.on_tick(replace(t, side=side.name, trial=index))

    watchdog, limit_s = watch()
    output = await run_mode(
        run.sandbox,
        "bench",
        config,
        timeout_s=limit_s,
        on_tick=tick,
        watch=watchdog,
        binary=side.binary,
    )
    step = "benchmark" if index == 0 else f"benchmark-trial-{index + 1}"
    run.log(step, output)
    side.outputs.append(output)
    skew = clock_skew(arrivals)
    if skew is not None:
        run.tampering.append(f"{skew} (trial {index + 1})")
    figures = figures_from(output)
    if figures is None:
        side.broken = f"trial {index + 1}: the benchmark {ended_how(output, limit_s)}"
        side.partial_ops_s = watchdog.run_ops_s
        return
    if figures.clock_tampering:
        run.tampering.append(f"clock tampering in trial {index + 1}: {figures.clock_tampering}")
    side.figures.append(figures)
    if figures.throughput_ops_s <= 0:
        side.broken = f"trial {index + 1} completed no operation"
        return
    trial = TrialFigures(
        side=side.name,
        index=index,
        throughput_ops_s=figures.throughput_ops_s,
        whole_run_ops_s=figures.whole_run_ops_s,
        cpu_ns_per_op=figures.cpu_ns_per_op,
        ops=figures.ops,
        steady_elapsed_s=figures.steady_elapsed_s,
        warmup_s=figures.warmup_s,
        memory_peak_bytes=figures.memory_peak_bytes,
        floor_ns_per_op=figures.driver_floor_ns_per_op,
        unsteady=unsteady(ticks),
    )
    side.trials.append(trial)
    if index and output.run.ok and not figures.errors and not figures.integrity_failures:
        # The first trial's log stands for the others; a trial that went wrong keeps its own.
        run.logs.pop(step, None)
    run.observer.on_trial(trial)


def unsteady(ticks: list[BenchTick]) -> bool:
    """Whether the steady window's first and second halves differ by more than 10%."""
    steady = [t.ops_s for t in ticks if not t.warm]
    if len(steady) < 4:
        return False
    half = len(steady) // 2
    first, second = steady[:half], steady[half:]
    mean_first, mean_second = sum(first) / len(first), sum(second) / len(second)
    mean = (mean_first + mean_second) / 2
    return mean > 0 and abs(mean_first - mean_second) / mean > UNSTEADY


def trials_gate(side: Side, timeout: float) -> GateResult:
    """The benchmark gate over every trial of a side: a crash, an error, an integrity
    failure or interference with the clock in any trial fails it."""
    for output, index in zip(side.outputs, range(len(side.outputs)), strict=True):
        figures = figures_from(output)
        partial = side.partial_ops_s if index == len(side.outputs) - 1 else 0.0
        gate = benchmark_gate(output, figures, timeout, partial)
        if not gate.passed:
            detail = gate.detail if len(side.outputs) == 1 else f"trial {index + 1}: {gate.detail}"
            return replace_gate(gate, detail)
    if side.broken:
        return GateResult(name="benchmark", passed=False, detail=side.broken)
    if not side.outputs:
        return GateResult(name="benchmark", passed=False, detail="no trial ran")
    interval = side.throughput(1)
    seconds = sum(o.run.wall_s for o in side.outputs)
    point = interval.point if interval else 0.0
    return GateResult(
        name="benchmark",
        passed=True,
        detail=f"{point:,.0f} ops/s, median of {len(side.trials)} trials",
        seconds=seconds,
    )


def replace_gate(gate: GateResult, detail: str) -> GateResult:
    return gate.model_copy(update={"detail": detail})
