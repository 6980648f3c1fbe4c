"""Filling `{{placeholders}}` in scripted texts with an iteration's measured numbers."""

from __future__ import annotations

import re

from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import machine_text, ops_s, ratio_text
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
        "previous_throughput": ops_s(previous.throughput_ops_s) if previous else NA,
        "change": NA,
        "best_throughput": ops_s(best.throughput_ops_s) if best else NA,
        "ratio": ratio_text(record.ratio),
        "baseline": (
            f"{record.baseline} ({ops_s(record.baseline_ops_s)})"
            if record.baseline and record.baseline_ops_s
            else "unknown"
        ),
        "verdict": record.verdict,
        "failed_gates": ", ".join(record.failed_gates) or "none",
        "failed_gate_detail": "",
        "memory_peak": NA,
        "memory_budget": NA,
        "memory_share": NA,
        "machine": NA,
    }
    if previous is not None and previous.throughput_ops_s > 0 and record.throughput_ops_s > 0:
        change = record.throughput_ops_s / previous.throughput_ops_s - 1
        values["change"] = f"{change:+.1%}"
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
