"""The memory gate: the store stays within its budget, however it holds memory, and
honours a budget it has not seen (the canary run)."""

from __future__ import annotations

from jitskit_tui.harness.modes import ModeOutput, ended_how, figures_from
from jitskit_tui.protocol.results import BenchFigures, GateResult
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.spec.units import format_bytes

# Kernel and jail memory charged to the sandbox beside the store's.
SANDBOX_SLACK = 16 << 20


def memory_gate(
    spec: SpecCard,
    bench: ModeOutput,
    figures: BenchFigures | None,
    canary: ModeOutput,
    canary_timeout: float = 120.0,
) -> GateResult:
    """Judges the benchmark's and the canary run's memory against their budgets."""
    budget = spec.environment.store_memory_budget
    if bench.run.oom_killed:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"the benchmark was killed by the OOM killer at the "
            f"{format_bytes(spec.environment.memory_limit)} memory limit",
        )
    if figures is not None and figures.memory_peak_bytes > budget:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"peak memory {format_bytes(figures.memory_peak_bytes)} is over the store's "
            f"budget of {format_bytes(budget)}",
        )
    accounted = _sandbox_store_peak(bench)
    if accounted is not None and accounted > budget + max(SANDBOX_SLACK, budget // 20):
        # The sandbox's accounting sees every process and tmpfs page the store caused,
        # however it hid them from the harness's view of its own process.
        return GateResult(
            name="memory",
            passed=False,
            detail=f"the sandbox held {format_bytes(accounted)} for the store (its processes, "
            f"shared memory and tmpfs files included), over its budget of "
            f"{format_bytes(budget)}; the harness saw "
            f"{format_bytes(figures.memory_peak_bytes if figures else 0)}: memory held outside "
            "the store's process still counts",
        )
    canary_figures = figures_from(canary)
    if canary_figures is None:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"the canary run at an unseen budget {ended_how(canary, canary_timeout)}",
        )
    if canary_figures.memory_peak_bytes > canary_figures.memory_budget_bytes:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"in a canary run with a {format_bytes(canary_figures.memory_budget_bytes)} "
            f"budget the store peaked at {format_bytes(canary_figures.memory_peak_bytes)}: it "
            "ignores StoreConfig::mem_budget_bytes (sizes hard-coded for the benchmark?)",
        )
    # A benchmark that did not finish has no peak of its own; the canary's still counts.
    peak = (
        f"peak {format_bytes(figures.memory_peak_bytes)} of {format_bytes(budget)}"
        if figures
        else "the benchmark's peak is unknown (it did not finish)"
    )
    return GateResult(
        name="memory",
        passed=True,
        detail=f"{peak}; canary peak "
        f"{format_bytes(canary_figures.memory_peak_bytes)} of "
        f"{format_bytes(canary_figures.memory_budget_bytes)}",
    )


def _sandbox_store_peak(output: ModeOutput) -> int | None:
    """The sandbox's peak non-file memory during a benchmark less the harness's baseline."""
    event = output.last("result")
    peak = output.run.peak_memory_bytes
    if event is None or peak is None:
        return None
    baseline = event.get("memory_baseline_bytes")
    if not isinstance(baseline, int):
        return None
    return max(0, peak - baseline)
