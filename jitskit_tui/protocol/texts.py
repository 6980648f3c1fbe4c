"""Results in words, for agents (tool results), the whiteboard, the command line and the
dashboard: pure functions of the protocol types, so an agent backend or a client can use
them without the engine. A line of text cut short and a ratio read the same everywhere."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from jitskit_tui.protocol.events import Decision, EvalQueued
from jitskit_tui.protocol.headline import Headline
from jitskit_tui.protocol.measurement import Comparison, Interval
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


def ratio_number(ratio: float) -> str:
    """Three significant digits, two decimals from 0.1 to 10: ``1.234`` -> ``1.23``,
    ``19.136`` -> ``19.1``, ``123.4`` -> ``123``; below 0.1 two significant digits
    (``0.0135`` -> ``0.013``), so a store far slower than another still reads as a
    number."""
    size = abs(ratio)
    if size >= 100:
        return f"{ratio:.0f}"
    if size >= 10:
        return f"{ratio:.1f}"
    return f"{ratio:.2f}" if size >= 0.1 or ratio == 0 else f"{ratio:.2g}"


def ratio_text(ratio: float | None, unknown: str = "unknown") -> str:
    """``1.234`` -> ``1.23x``; ``unknown`` without a ratio (the dashboard passes its dash)."""
    return f"{ratio_number(ratio)}x" if ratio is not None else unknown


TIMES = "\u00d7"
"""The multiplication sign people read ratios with: ``2.21<times> [2.05-2.38]``."""
RANGE_DASH = "\u2013"
"""Between an interval's ends: ``[2.05<en dash>2.38]``."""


def interval_ratio_text(interval: Interval, sign: str = "x") -> str:
    """``2.21x [2.05-2.38]`` (an en dash between the ends); without an interval (one
    round), ``2.21x [no interval]``. ``sign`` is the times sign (:data:`TIMES` for people)."""
    if interval.ci_low is None or interval.ci_high is None:
        return f"{ratio_number(interval.point)}{sign} [no interval]"
    low, high = ratio_number(interval.ci_low), ratio_number(interval.ci_high)
    return f"{ratio_number(interval.point)}{sign} [{low}{RANGE_DASH}{high}]"


def comparison_text(comparison: Comparison) -> str:
    """``1.31x [1.20-1.43] faster than incumbent (paired, 8 rounds)``."""
    verdict = {"faster": "faster than", "slower": "slower than", "same": "the same as"}[
        comparison.verdict
    ]
    how = "paired" if comparison.paired else "unpaired"
    return (
        f"{interval_ratio_text(comparison.ratio)} {verdict} {comparison.other} "
        f"({how}, {comparison.ratio.n} rounds)"
    )


def _whole(value: float) -> str:
    return f"{value:,.0f}"


def throughput_text(interval: Interval, figure: Callable[[float], str] = _whole) -> str:
    """``1,234,567 ops/s [1,200,000-1,270,000] over 8 trials``; ``figure`` writes each
    number (the dashboard's is shorter: ``1.23M``)."""
    point = f"{figure(interval.point)} ops/s"
    if interval.ci_low is None or interval.ci_high is None:
        return f"{point} ({interval.n} trial, no interval)"
    return (
        f"{point} [{figure(interval.ci_low)}{RANGE_DASH}{figure(interval.ci_high)}] over "
        f"{interval.n} trials"
    )


APPROX = "\u2248"
"""Marks a comparison within noise: ``\u2248 1.01x [0.97-1.05]``."""


def shown_ratio_text(
    comparison: Comparison, *, within_noise: bool | None = None, sign: str = "x"
) -> str:
    """A comparison's ratio in a few cells: ``2.21x [2.05-2.38]``; ``\u2248 1.01x
    [0.97-1.05]`` within noise (``within_noise``, by default: its interval contains 1);
    ``1.84x unpaired`` for a cached figure, which has no interval."""
    if not comparison.paired:
        return f"{ratio_number(comparison.ratio.point)}{sign} unpaired"
    noise = comparison.verdict == "same" if within_noise is None else within_noise
    return (f"{APPROX} " if noise else "") + interval_ratio_text(comparison.ratio, sign)


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
        figure = (
            throughput_text(result.throughput)
            if result.throughput
            else ops_s(result.throughput_ops_s)
        )
        lines.append(f"throughput: {figure}{counts}")
        lines += [f"  {comparison_text(c)}" for c in result.comparisons]
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


def side_name(other: str) -> str:
    """A comparison's other side as people say it: ``tbb-chm``, ``the best``."""
    if other == "incumbent":
        return "the best"
    return other.removeprefix("baseline:")


def baseline_ratio_text(comparison: Comparison | None, sign: str = "x") -> str:
    """``1.84x [1.71-1.98] vs tbb-chm`` when paired; ``1.84x vs tbb-chm (unpaired: its
    cached figure, measured at another time)`` otherwise; ``ratio unknown`` without one."""
    if comparison is None:
        return "ratio to the baselines unknown"
    name = side_name(comparison.other)
    if comparison.paired:
        return f"{interval_ratio_text(comparison.ratio, sign)} vs {name}"
    return (
        f"{ratio_number(comparison.ratio.point)}{sign} vs {name} (unpaired: its cached figure, "
        "measured at another time)"
    )


DECISION_WORDS: dict[str, str] = {
    "best": "new best",
    "first": "first to pass every gate: new best",
    "within-noise": "\u2248 within noise",
    "slower": "slower",
    "failed": "does not count",
}


DECISION_CELL: dict[str, str] = {
    "best": "new best",
    "first": "first",
    "within-noise": f"{APPROX} noise",
    "slower": "slower",
    "failed": "failed",
}
"""A decision in a table cell (:data:`DECISION_WORDS` in a sentence)."""


def decision_text(
    decision: Decision, vs_best: Comparison | None, incumbent: int | None, *, sign: str = "x"
) -> str:
    """The decision in a few words: ``vs best 1.03x [0.97-1.09] \u2248 within noise, best
    stays #4``, ``vs best 1.31x [1.20-1.43]: new best``; empty for records before
    decisions. (A fallback in the same iteration: :func:`fallback_note`.)"""
    if not decision:
        return ""
    words = DECISION_WORDS[decision]
    if decision == "first":
        return words
    ratio = f"vs best {interval_ratio_text(vs_best.ratio, sign)}" if vs_best is not None else ""
    if decision == "best":
        return f"{ratio}: {words}"
    rest = f"best stays #{incumbent}" if incumbent is not None else "no best yet"
    if decision == "within-noise" and vs_best is None and incumbent is not None:
        return f"not compared with the best (#{incumbent}): its trials failed; {rest}"
    return f"{ratio} {words}, {rest}" if ratio else f"{words}, {rest}"


def fallback_note(
    iteration: int | None, decision: Decision, incumbent: int | None, best_now: int | None
) -> str:
    """``; then the best fell back to #1`` when the best after an iteration is not the one
    its decision left (an audit test failed that one in the same iteration); else empty."""
    left = iteration if decision in ("best", "first") else incumbent
    if not decision or left is None or best_now == left:
        return ""
    return f"; then the best fell back to #{best_now}" if best_now else "; then no best is left"


def fallback_text(
    from_iteration: int, to_iteration: int | None, reason: str, skipped: Sequence[int] = ()
) -> str:
    """``best fell back from iteration 2 to iteration 1: audit/scan-refused failed on the
    best (#2) ...``: which, why, and to which (a `best_fell_back` event's fields)."""
    to = (
        f"iteration {to_iteration}"
        if to_iteration is not None
        else "no iteration (none earlier passes the audit's gate tests)"
    )
    skips = f"; iterations {', '.join(map(str, skipped))} fail them too" if skipped else ""
    return f"best fell back from iteration {from_iteration} to {to}: {reason}{skips}"


def decision_reason(
    decision: Decision,
    vs_best: Comparison | None,
    incumbent: int | None,
    min_effect: float,
    sign: str = "x",
) -> str:
    """Why the decision was taken, in a sentence (the `best_moved` event's reason)."""
    threshold = f"{1 + min_effect:.2f}"
    ratio = interval_ratio_text(vs_best.ratio, sign) if vs_best is not None else ""
    match decision:
        case "first":
            return "the first iteration to pass every gate"
        case "best":
            return f"{ratio} vs the best (#{incumbent}): its interval clears {threshold}"
        case "slower":
            return f"{ratio} vs the best (#{incumbent}): its interval is below 1"
        case "within-noise" if vs_best is None:
            return f"no paired comparison with the best (#{incumbent}): its trials failed"
        case "within-noise":
            return (
                f"{ratio} vs the best (#{incumbent}): within noise (a win needs the whole "
                f"interval at or above {threshold})"
            )
        case _:
            return "it does not count: a gate failed"


def outcome_text(vs_baseline: Comparison | None, decided: str, sign: str = "x") -> str:
    """``1.84x [1.71-1.98] vs tbb-chm; vs best 1.03x [0.97-1.09] \u2248 within noise, best
    stays #4``: an iteration's ratio and its decision (:func:`decision_text`), never a
    bare number."""
    parts = [baseline_ratio_text(vs_baseline, sign)] if vs_baseline is not None else []
    return "; ".join([*parts, *([decided] if decided else [])])


def record_text(record: IterationRecord, *, logs: bool = True) -> str:
    """An iteration's record for an agent or a person: its decision and ratio with their
    intervals (a legacy record's bare ratio is labelled unpaired)."""
    head = [f"iteration {record.iteration}: {record.summary}"]
    status = f"outcome: {record.outcome}; verdict: {record.verdict}"
    if record.decision:
        decided = decision_text(record.decision, record.vs_best, record.incumbent_iteration)
        status += f"; decision: {record.decision} ({decided})"
    head.append(status)
    head.append(f"ratio to the best comparable baseline: {_record_ratio(record)}")
    if record.error:
        head.append(f"agent error: {record.error}")
    if record.result is not None:
        head.append(result_text(record.result, logs=logs))
    return "\n".join(head)


def _record_ratio(record: IterationRecord) -> str:
    if record.vs_baseline is not None:
        return baseline_ratio_text(record.vs_baseline)
    if record.ratio is not None and record.baseline:
        # A record from before pairing: one run against a figure from another time.
        legacy = Comparison(
            other=f"baseline:{record.baseline}", ratio=Interval(point=record.ratio), paired=False
        )
        return baseline_ratio_text(legacy)
    return "unknown"


def verdict_line(record: IterationRecord) -> str:
    """One line: ``pass, 720,262 ops/s [...] over 5 trials; 1.62x [1.50-1.75] vs tbb-chm;
    vs best 1.03x [0.97-1.09] \u2248 within noise, best stays #4``, or ``fail
    (concurrency), 510,000 ops/s (does not count)``."""
    if record.outcome != "evaluated":
        return record.error
    result = record.result
    figure = (
        throughput_text(result.throughput)
        if result is not None and result.throughput is not None
        else ops_s(record.throughput_ops_s)
    )
    if record.verdict != "pass":
        return f"fail ({', '.join(record.failed_gates)}), {figure} (does not count)"
    decided = decision_text(record.decision, record.vs_best, record.incumbent_iteration)
    said = outcome_text(record.vs_baseline, decided)
    if not record.decision:
        said = f"ratio {_record_ratio(record)}"
    return f"pass, {figure}; {said}"


def headline_text(headline: Headline, sign: str = "x") -> str:
    """``2.21x [2.05-2.38] vs tbb-chm``; or why the headline has no ratio."""
    if not headline.counts:
        failed = ", ".join(headline.failed_gates) or "a gate"
        return f"no headline: the best (#{headline.best_iteration}) failed {failed} at full size"
    chosen = headline.headline_comparison
    if chosen is not None:
        return baseline_ratio_text(chosen, sign)
    figure = throughput_text(headline.throughput) if headline.throughput else "not measured"
    return f"{figure} (no baseline paired{': ' + headline.note if headline.note else ''})"


def headline_trailer(headline: Headline) -> str:
    """The `Jitskit-Headline` trailer's value, ASCII: ``2.21x [2.05-2.38] vs tbb-chm
    (full, paired, 8 trials, seed 12345)``."""
    text = headline_text(headline).replace(RANGE_DASH, "-")
    return f"{text} ({headline.size}, paired, {headline.trials} trials, seed {headline.seed})"


def queue_text(event: EvalQueued) -> str:
    """``queued on bench, 3 jobs ahead (waiting for a free node)``, or, once it ends,
    ``the machine is ours after 42 s queued on bench``."""
    if event.waiting:
        return event.text or f"queued on {event.where}"
    return f"the machine is ours after {event.waited_s:.0f} s queued on {event.where}"
