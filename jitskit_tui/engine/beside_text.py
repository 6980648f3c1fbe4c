"""Two runs side by side in words, for `jitskit show RUN --beside` and the app's side by
side screen alike: a row per fact of each run, what a naive agent believed of each store
beside what the gates found, and the paired comparison of their stores (or why there is
none, and how to get one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from jitskit_tui.engine.beside import RunSide, why_not_measured
from jitskit_tui.engine.beside_cache import BesideMeasurement, Cached
from jitskit_tui.engine.runs import run_status
from jitskit_tui.protocol.measurement import Verdict
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import (
    TIMES,
    headline_text,
    interval_ratio_text,
    machine_text,
    one_line,
    ops_s,
    throughput_text,
)
from jitskit_tui.spec.units import format_span

Row = tuple[str, str, str]
_CHOSEN = {"best": "its best", "last": "its last (none passed every gate)", "asked": "as asked"}
_VERDICT_PHRASE: dict[Verdict, str] = {
    "faster": "is faster than",
    "slower": "is slower than",
    "same": "cannot be told apart from",
}


def side_rows(left: RunSide, right: RunSide) -> list[Row]:
    """The facts of each run, one row each: (what, left, right)."""

    def row(what: str, fact: Callable[[RunSide], str]) -> Row:
        return what, fact(left), fact(right)

    return [
        row("kind", lambda s: f"{s.kind} ({s.state.agent or '?'})"),
        row("status", lambda s: run_status(s.ws, s.state)),
        row("iterations", lambda s: f"{s.state.completed} of {s.state.iterations_budget}"),
        row("failed a gate", _failed_count),
        row("store", lambda s: f"#{s.iteration}, {_CHOSEN[s.chosen]}"),
        row("in its run", _found_of_store),
        row("agent believed", _believed),
        row("cost", _cost),
        row("time", lambda s: format_span(s.state.active_seconds)),
        row("headline", _headline),
    ]


def _failed_count(side: RunSide) -> str:
    done = side.committed
    failed = sum(1 for n in done if side.state.iterations[n].verdict == "fail")
    return f"{failed} of {len(done)} iteration{'s' * (len(done) != 1)}"


def _found_of_store(side: RunSide) -> str:
    view = side.view
    if view.verdict == "pass":
        record = side.record
        figure = record.result.throughput if record and record.result else None
        return f"pass, {throughput_text(figure) if figure else ops_s(view.throughput_ops_s)}"
    if view.failed_gates:
        return f"fail: {', '.join(view.failed_gates)}"
    return f"not evaluated ({view.outcome or 'no verdict'})"


def _believed(side: RunSide) -> str:
    if side.kind != "naive":
        return "-"
    claimed = side.view.claimed_ops_s
    return ops_s(claimed) if claimed is not None else "not benchmarked by the agent"


def _cost(side: RunSide) -> str:
    total = side.state.total_cost
    if not total.spent:
        return "nothing (no model calls)"
    return f"{total.dollars_words} ({total.tokens:,} tokens)"


def _headline(side: RunSide) -> str:
    headline = side.state.headline
    return headline_text(headline, TIMES) if headline is not None else "-"


def found_text(record: IterationRecord | None, verdict: str, failed: list[str]) -> str:
    """What the gates found of one store, with the first line of each failed gate's why."""
    if record is not None and record.result is not None:
        result = record.result
        if result.counts:
            figure = result.throughput
            return "every gate passed, " + (
                throughput_text(figure) if figure else ops_s(result.throughput_ops_s)
            )
        gates = [f"{g.name} ({one_line(g.detail, 90)})" for g in result.failed_gates]
        return "failed " + "; ".join(gates)
    if record is not None and record.outcome != "evaluated":
        return f"not evaluated: {one_line(record.error or record.outcome, 120)}"
    if verdict == "pass":
        return "every gate passed"
    return f"failed {', '.join(failed)}" if failed else "no verdict"


def claims_title(side: RunSide) -> str:
    return f"what the naive agent believed, and what the gates found ({side.ws.name}):"


def claim_rows(side: RunSide) -> list[Row]:
    """A naive run's every store: (#N, what its agent believed (its own benchmark,
    throughput only), what the gates found after the fact). Empty for a pipeline run."""
    if side.kind != "naive":
        return []
    rows = []
    for number in side.committed:
        view = side.state.iterations[number]
        believed = (
            f"believed {ops_s(view.claimed_ops_s)}"
            if view.claimed_ops_s is not None
            else "not benchmarked by the agent"
        )
        found = found_text(side.records.get(number), view.verdict, view.failed_gates)
        rows.append((f"#{number}", believed, f"found: {found}"))
    return rows


def claim_lines(side: RunSide) -> list[str]:
    """:func:`claim_rows` as lines, under their title."""
    rows = claim_rows(side)
    if not rows:
        return []
    return [
        claims_title(side),
        *(f"  {n:<4} {believed:<34} {found}" for n, believed, found in rows),
    ]


def failure_lines(side: RunSide) -> list[str]:
    """The gates the compared store of a pipeline run failed in its run, each with its
    why (a naive run's are among its claims)."""
    record = side.record
    if side.kind == "naive" or side.view.verdict != "fail" or not record or not record.result:
        return []
    lines = [f"{side.label} failed in its run:"]
    for gate in record.result.failed_gates:
        lines.append(f"  {gate.name}: {one_line(gate.detail, 160)}")
    return lines


def _who(measurement: BesideMeasurement, naive: bool, label: str) -> str:
    if measurement.a.naive != measurement.b.naive:
        return "the naive agent's store" if naive else "the pipeline's store"
    return label


def measured_when(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def comparison_lines(a: RunSide, b: RunSide, cached: Cached | None, measure_hint: str) -> list[str]:
    """The paired comparison of the two stores as kept, or why there is none; each way
    ends saying how to (re)measure (``measure_hint``: `add --compare`, `press c`)."""
    blocked = why_not_measured(a, b)
    if cached is None or cached.measurement is None:
        if cached is not None:
            return [
                f"the comparison kept in {cached.path} is {cached.problem}; "
                f"{measure_hint} to measure again"
            ]
        if blocked:
            return [f"not measured: {blocked}"]
        return [
            f"not measured yet: {measure_hint} to measure them (both stores built, gated "
            "and run as interleaved trials, paired round by round)"
        ]
    return measurement_lines(cached.measurement, a, b, cached, measure_hint, blocked)


def measurement_lines(
    m: BesideMeasurement,
    a: RunSide,
    b: RunSide,
    cached: Cached,
    measure_hint: str,
    blocked: str = "",
) -> list[str]:
    comparison = m.comparison
    lines = []
    if comparison is not None and not m.failures:
        lines.append(
            f"{m.b.label} / {m.a.label} = {interval_ratio_text(comparison.ratio, TIMES)}  "
            f"{comparison.verdict}"
        )
        who_b, who_a = _who(m, m.b.naive, m.b.label), _who(m, m.a.naive, m.a.label)
        lines.append(
            f"  {who_b} {_VERDICT_PHRASE[comparison.verdict]} {who_a}: the median of "
            f"{comparison.ratio.n} paired rounds, 95% interval"
        )
    else:
        lines.append(f"{m.b.label} / {m.a.label}: no ratio, a store failed a gate when measured")
    for ref, gate in m.failures:
        lines.append(f"  {ref.label} failed the {gate.name} gate: {one_line(gate.detail, 160)}")
    lines.append(
        f"  measured {measured_when(m.measured_ts)} on {machine_text(m.result)}, at the "
        f"{m.size} size; kept in {cached.path}"
    )
    conditions = m.result.conditions
    for warning in (conditions.warning if conditions else "", m.result.smaller_machine):
        if warning:
            lines.append(f"  warning: {warning}")
    now = {a.ws.name: a, b.ws.name: b}
    moved = [
        f"{ref.label} (the store compared now is #{now[ref.run].iteration})"
        for ref in (m.a, m.b)
        if ref.run in now and now[ref.run].view.commit != ref.sha
    ]
    if moved:
        then = blocked or f"{measure_hint} to measure the stores compared now"
        lines.append(f"  these figures are of {' and '.join(moved)}; {then}")
    else:
        lines.append(f"  {measure_hint} to measure again")
    return lines
