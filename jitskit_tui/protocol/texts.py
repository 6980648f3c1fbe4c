"""Results in words, for agents (tool results), the whiteboard, the command line and the
dashboard: pure functions of the protocol types, so an agent backend or a client can use
them without the engine. A line of text cut short and a ratio read the same everywhere."""

from __future__ import annotations

from jitskit_tui.protocol.events import EvalQueued
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.spec.units import format_bytes


def one_line(text: str, limit: int = 100) -> str:
    """``text`` on one line (every run of whitespace one space), cut to ``limit``
    characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def ops_s(value: float) -> str:
    return f"{value:,.0f} ops/s"


def dollars_words(dollars: float, estimated: bool = False) -> str:
    """``$1.23``; ``≈$1.23`` when the figure is an estimate (a subscription's usage priced
    at the API's rates)."""
    return f"{'≈' if estimated else ''}${dollars:,.2f}"


def ratio_text(ratio: float | None, unknown: str = "unknown") -> str:
    """``1.234`` -> ``1.23x``; ``unknown`` without a ratio (the dashboard passes its dash)."""
    return f"{ratio:.2f}x" if ratio is not None else unknown


def machine_text(result: EvalResult) -> str:
    m = result.machine
    return f"{m.host}: {m.cpu_model}, {m.cpu_count} CPUs"


def failed_gate_names(result: EvalResult) -> list[str]:
    return [g.name for g in result.failed_gates]


def result_text(result: EvalResult, *, logs: bool = False, log_chars: int = 3000) -> str:
    """An evaluation for an agent to read: gates, figures, memory, and optionally log tails."""
    figure = f", {ops_s(result.throughput_ops_s)}" if result.throughput_ops_s else ""
    failed = ", ".join(failed_gate_names(result))
    lines = [f"verdict: {result.verdict}{figure}" + (f" (failed: {failed})" if failed else "")]
    for gate in result.gates:
        mark = "pass" if gate.passed else ("FAIL (log only)" if gate.severity == "log" else "FAIL")
        detail = gate.detail.strip().replace("\n", "\n    ")
        lines.append(f"  {gate.name}: {mark}: {detail}")
    if result.throughput_ops_s:
        counts = "" if result.counts else " (does not count: a gate failed)"
        lines.append(f"throughput: {ops_s(result.throughput_ops_s)}{counts}")
        for op, stats in result.ops.items():
            lines.append(
                f"  {op}: {stats.ops_s:,.0f} ops/s, p50 {stats.p50_us:.2f} us, "
                f"p99 {stats.p99_us:.2f} us, p99.9 {stats.p999_us:.2f} us"
            )
        lines.append(
            f"memory: peak {format_bytes(result.memory_peak_bytes)} of "
            f"{format_bytes(result.memory_budget_bytes)} budget"
        )
    lines.append(f"machine: {machine_text(result)}")
    lines += [f"warning: {w}" for w in result.warnings]
    if logs:
        for step, text in result.logs.items():
            tail = text.strip()[-log_chars:]
            if tail:
                lines.append(f"--- {step} log (tail) ---\n{tail}")
    return "\n".join(lines)


def record_text(record: IterationRecord, *, logs: bool = True) -> str:
    """An iteration's record for an agent or a person."""
    head = [
        f"iteration {record.iteration}: {record.summary}",
        f"outcome: {record.outcome}; verdict: {record.verdict}; ratio to the best comparable "
        f"baseline: {ratio_text(record.ratio)}"
        + (
            f" ({record.baseline}, {ops_s(record.baseline_ops_s)})" if record.baseline_ops_s else ""
        ),
    ]
    if record.error:
        head.append(f"agent error: {record.error}")
    if record.result is not None:
        head.append(result_text(record.result, logs=logs))
    return "\n".join(head)


def verdict_line(record: IterationRecord) -> str:
    """One line: `pass, 720,262 ops/s, 1.62x` or `fail (concurrency), 510,000 ops/s`."""
    if record.outcome != "evaluated":
        return record.error
    verdict = "pass" if record.verdict == "pass" else f"fail ({', '.join(record.failed_gates)})"
    return f"{verdict}, {ops_s(record.throughput_ops_s)}, ratio {ratio_text(record.ratio)}"


def queue_text(event: EvalQueued) -> str:
    """``queued on bench, 3 jobs ahead (waiting for a free node)``, or, once it ends,
    ``the machine is ours after 42 s queued on bench``."""
    if event.waiting:
        return event.text or f"queued on {event.where}"
    return f"the machine is ours after {event.waited_s:.0f} s queued on {event.where}"
