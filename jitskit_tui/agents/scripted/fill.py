"""Filling `{{placeholders}}` in scripted texts with an iteration's measured numbers."""

from __future__ import annotations

import re

from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import (
    decision_text,
    interval_ratio_text,
    machine_text,
    ops_s,
    ratio_number,
    side_name,
    throughput_text,
)
from jitskit_tui.spec.units import format_bytes

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
NA = "n/a"


def values_for(
    record: IterationRecord, previous: IterationRecord | None, best: IterationRecord | None
) -> dict[str, str]:
    """Every placeholder's text for ``record`` (see FORMAT.md for the list)."""
    result = record.result
    values = {
        "iteration": str(record.iteration),
        "throughput": ops_s(record.throughput_ops_s),
        "throughput_interval": (
            throughput_text(result.throughput)
            if result is not None and result.throughput is not None
            else ops_s(record.throughput_ops_s)
        ),
        "previous_throughput": ops_s(previous.throughput_ops_s) if previous else NA,
        "change": NA,
        "best_throughput": ops_s(best.throughput_ops_s) if best else NA,
        "ratio": _ratio(record),
        "baseline": _baseline(record),
        "vs_best": (
            f"{interval_ratio_text(record.vs_best.ratio)} against the best "
            f"(iteration {record.incumbent_iteration})"
            if record.vs_best is not None
            else NA
        ),
        "decision": decision_text(record.decision, record.vs_best, record.incumbent_iteration)
        or NA,
        "verdict": record.verdict,
        "failed_gates": ", ".join(record.failed_gates) or "none",
        "failed_gate_detail": "",
        "memory_peak": NA,
        "memory_budget": NA,
        "memory_share": NA,
        "machine": NA,
    }
    values["change"] = _change(record, previous)
    if result is not None:
        failed = result.failed_gates
        if failed:
            values["failed_gate_detail"] = (
                failed[0].detail.strip().splitlines()[0] if failed[0].detail.strip() else ""
            )
        for gate in result.gates:
            values[f"gate.{gate.name}"] = gate.detail.strip()
        for op, stats in result.ops.items():
            values[f"op.{op}.ops_s"] = ops_s(stats.ops_s)
            values[f"op.{op}.p50_us"] = f"{stats.p50_us:.2f} us"
            values[f"op.{op}.p99_us"] = f"{stats.p99_us:.2f} us"
            values[f"op.{op}.p999_us"] = f"{stats.p999_us:.2f} us"
        if result.memory_budget_bytes:
            values["memory_peak"] = format_bytes(result.memory_peak_bytes)
            values["memory_budget"] = format_bytes(result.memory_budget_bytes)
            values["memory_share"] = f"{result.memory_peak_bytes / result.memory_budget_bytes:.0%}"
        values["machine"] = machine_text(result)
    return values


def _ratio(record: IterationRecord) -> str:
    """``1.84x [1.71-1.98]`` paired; an unpaired one says so; ``unknown`` without one."""
    comparison = record.vs_baseline
    if comparison is None:
        if record.ratio is None:
            return "unknown"
        return f"{ratio_number(record.ratio)}x (unpaired)"
    if comparison.paired:
        return interval_ratio_text(comparison.ratio)
    return f"{ratio_number(comparison.ratio.point)}x (unpaired: a cached figure from another time)"


def _baseline(record: IterationRecord) -> str:
    comparison = record.vs_baseline
    if comparison is None or not record.baseline_ops_s:
        return "unknown"
    how = "measured beside it" if comparison.paired else "cached"
    return f"{side_name(comparison.other)} ({ops_s(record.baseline_ops_s)}, {how})"


def _change(record: IterationRecord, previous: IterationRecord | None) -> str:
    """Against the parent iteration: paired when the parent was the best it was measured
    beside (``+23% [+15%-+31%]``), else labelled unpaired."""
    if previous is None or previous.throughput_ops_s <= 0 or record.throughput_ops_s <= 0:
        return NA
    paired = record.vs_best
    if paired is not None and record.incumbent_iteration == previous.iteration:
        low, high = paired.ci_low, paired.ci_high
        span = ""
        if low is not None and high is not None:
            span = f" [{low - 1:+.0%} to {high - 1:+.0%}]"
        return f"{paired.ratio.point - 1:+.1%}{span} (paired)"
    change = record.throughput_ops_s / previous.throughput_ops_s - 1
    return f"{change:+.1%} (unpaired: measured at another time)"


def fill(template: str, values: dict[str, str]) -> str:
    """Replaces known `{{name}}`s; `gate.X` and `op.X.Y` that were not measured read `n/a`;
    anything else is left as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name.startswith(("gate.", "op.")):
            return NA
        return match.group(0)

    return _PLACEHOLDER.sub(replace, template)
