"""The benchmark gate: every operation succeeded and every sampled read was one written,
on a clock that kept time with this host's."""

from __future__ import annotations

from jitskit_tui.harness.modes import ModeOutput, ended_how
from jitskit_tui.protocol.results import BenchFigures, GateResult


def benchmark_gate(
    bench: ModeOutput, figures: BenchFigures | None, timeout: float, partial_ops_s: float = 0.0
) -> GateResult:
    """Fails a benchmark that crashed, was stopped, returned errors or read back unwritten
    values; ``partial_ops_s`` is the throughput its ticks showed before it ended."""
    if figures is None:
        measured = (
            f"; the {partial_ops_s:,.0f} ops/s measured before that does not count"
            if partial_ops_s
            else ""
        )
        return GateResult(
            name="benchmark",
            passed=False,
            detail=f"the benchmark {ended_how(bench, timeout)}{measured}",
        )
    problems = []
    if figures.errors:
        first = f" (first: {figures.first_error})" if figures.first_error else ""
        problems.append(f"{figures.errors} operations returned an error or a wrong status{first}")
    if figures.integrity_failures:
        first = figures.first_integrity_failure or (
            "a sampled read returned a value that was never written for that key"
        )
        problems.append(f"{figures.integrity_failures} integrity failures (first: {first})")
    if problems:
        return GateResult(
            name="benchmark", passed=False, detail="; ".join(problems), seconds=bench.run.wall_s
        )
    return GateResult(
        name="benchmark",
        passed=True,
        detail=f"{figures.throughput_ops_s:,.0f} ops/s over {figures.elapsed_s:.1f}s",
        seconds=bench.run.wall_s,
    )


def clock_skew(arrivals: list[tuple[float, float]]) -> str | None:
    """Whether the harness's clock disagreed with this host's during the benchmark.

    Ticks are printed every ``tick_ms`` (100 ms) of the harness's clock and timestamped
    here as they arrive; a store that slows the clock the harness measures with (to
    inflate its throughput) makes them arrive late by the same factor, however it did
    it. The check needs at least a second of reported ticks after the first two
    (whatever the tick period), so one late pipe read cannot decide it.
    """
    if len(arrivals) < 3:
        return None
    host_span = arrivals[-1][0] - arrivals[1][0]
    reported = arrivals[-1][1] - arrivals[1][1]
    if reported < 1.0:
        return None
    if host_span > 1.5 * reported + 0.5 or host_span < reported / 1.5 - 0.5:
        return (
            f"the harness's clock ran at {reported / host_span:.2f}x this host's during the "
            f"benchmark ({reported:.1f}s measured, {host_span:.1f}s passed): the store "
            "interferes with the clock the harness measures with"
        )
    return None
