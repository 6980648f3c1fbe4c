"""An evaluation observer that keeps everything it is told, for tests to look at."""

from __future__ import annotations

from jitskit_tui.protocol.results import (
    BenchTick,
    EvalBudget,
    GateResult,
    PhaseProgress,
    TrialFigures,
)


class Recorder:
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.ticks: list[BenchTick] = []
        self.gates: list[GateResult] = []
        self.trials: list[TrialFigures] = []
        self.budget: EvalBudget | None = None
        self.progress: list[PhaseProgress] = []

    def on_step(self, step: str) -> None:
        self.steps.append(step)

    def on_tick(self, tick: BenchTick) -> None:
        self.ticks.append(tick)

    def on_gate(self, gate: GateResult) -> None:
        self.gates.append(gate)

    def on_trial(self, figures: TrialFigures) -> None:
        self.trials.append(figures)

    def on_budget(self, budget: EvalBudget) -> None:
        self.budget = budget

    def on_progress(self, progress: PhaseProgress) -> None:
        self.progress.append(progress)
