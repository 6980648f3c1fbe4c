"""What the results report says of one run, gathered from its workspace: its card, its
state folded from the log, its committed records, its whiteboard and its git history.

Every figure is the run's own, measured: the store's throughput and ratio are the best
iteration's, and the headline (the best measured at the full size, paired against the
baseline, issue 12) replaces them once the run has one; until then the report says the
headline is missing rather than pass an in-loop figure off as it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.runs import RunStatusText, run_status
from jitskit_tui.engine.state import CostTotals, IterationView, RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.spec import SpecCard, SpecError, load_spec

DIFF_LIMIT = 200_000
"""Characters of the best's diff kept in the report (the rest is cut, and said so)."""


@dataclass(frozen=True)
class Point:
    """One iteration on the chart."""

    iteration: int
    ops_s: float
    counts: bool
    """Passed every gate (a failed one is drawn, not counting)."""
    is_best: bool = False
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class Ratio:
    """The synthesized store over the best comparable baseline."""

    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    against: str = ""
    headline: bool = False
    """Measured as the run's headline (full size, held-out trace, paired); otherwise the
    best iteration's in-loop figure."""


@dataclass(frozen=True)
class TimelineEntry:
    """One design on the whiteboard: the iteration's plan and what it measured."""

    heading: str
    plan: str
    result: str = ""
    critique: str = ""


@dataclass
class RunFigures:
    ws: Workspace
    spec_name: str
    status: RunStatusText
    workload: str = ""
    guarantees: str = ""
    machine: str = ""
    """The machine's address and what it is: ``slurm://bench: Xeon, 2 CPUs``."""
    baseline: str | None = None
    baseline_ops_s: float | None = None
    store_ops_s: float | None = None
    best_iteration: int | None = None
    ratio: Ratio | None = None
    completed: int = 0
    budget: int = 0
    passing: int = 0
    gates: str = ""
    cost: CostTotals = field(default_factory=CostTotals)
    points: list[Point] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    diff: str = ""
    diff_between: str = ""
    """What the diff compares: ``iteration 1 (first to pass) → iteration 4 (best)``."""
    problems: list[str] = field(default_factory=list)
    """What could not be read (a damaged log, a missing record), said in the report."""

    @property
    def headline_missing(self) -> bool:
        return self.ratio is None or not self.ratio.headline


def _interval(result: EvalResult | None) -> tuple[float | None, float | None]:
    """The throughput's 95% interval, when the evaluation measured one (repeated trials,
    issue 12; a single run has none)."""
    interval = getattr(result, "throughput", None)
    low, high = getattr(interval, "ci_low", None), getattr(interval, "ci_high", None)
    return (float(low), float(high)) if low is not None and high is not None else (None, None)


def _record(ws: Workspace, view: IterationView) -> IterationRecord | None:
    if not view.commit:
        return None
    try:
        text = gitrepo.show_file(ws, view.commit, f"results/iteration-{view.iteration}.json")
        return IterationRecord.model_validate_json(text) if text else None
    except (WorkspaceError, ValueError):
        return None


def _guarantees(spec: SpecCard) -> str:
    ops = ", ".join(op.replace("_", "-") for op in spec.requirement.operations)
    return f"durability {spec.requirement.durability}; {ops}"


def _workload(spec: SpecCard) -> str:
    wl = spec.workload
    return (
        f"{wl.describe()}; {wl.record_count:,} records of {wl.value_size} B; {wl.threads} threads"
    )


def _gates(views: list[IterationView], best: IterationRecord | None) -> str:
    """``best passed 7 gates; 1 of 2 iterations failed (concurrency)``."""
    failed = [v for v in views if v.verdict == "fail" or (v.outcome and v.outcome != "evaluated")]
    named = sorted({g for v in failed for g in v.failed_gates})
    parts = []
    if best is not None and best.result is not None:
        parts.append(f"best passed {len(best.result.gates)} gates")
    if failed:
        which = f" ({', '.join(named)})" if named else ""
        parts.append(f"{len(failed)} of {len(views)} iterations failed{which}")
    elif len(views) == 1:
        parts.append("its one iteration passed")
    elif views:
        parts.append(f"all {len(views)} iterations passed")
    return "; ".join(parts) or "no iteration committed"


_HEADING = re.compile(r"^## Iteration (\d+): (.+)$", re.MULTILINE)
EXCERPT = 400
"""Characters of a plan or a critique kept in the timeline."""


def _excerpt(text: str) -> str:
    flat = " ".join(text.replace("#", " ").split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def whiteboard_timeline(text: str) -> list[TimelineEntry]:
    """The designs on a whiteboard, one per iteration: the title the loop wrote
    (`## Iteration N: title`), the plan (its paragraph starting `Plan:`, else its first
    that is not a heading), the measured result, and the start of the critique. A plan
    or critique that has `## Iteration N` headings of its own stays in its iteration."""
    order: list[int] = []
    titles: dict[int, str] = {}
    bodies: dict[int, list[str]] = {}
    parts = _HEADING.split(text)
    for number, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=False):
        n = int(number)
        if n not in titles:
            order.append(n)
            titles[n] = title.strip()
        bodies.setdefault(n, []).append(body)
    entries = []
    for n in order:
        paragraphs = [p.strip() for p in "\n\n".join(bodies[n]).split("\n\n") if p.strip()]
        prose = [p for p in paragraphs if not p.startswith(("#", "**", "- "))]
        plan = next((p for p in prose if p.startswith("Plan:")), prose[0] if prose else "")
        result = next((p for p in paragraphs if p.startswith("**Result**")), "")
        at = next((i for i, p in enumerate(paragraphs) if p.startswith("**Critique**")), None)
        critique = ""
        if at is not None:
            critique = paragraphs[at].removeprefix("**Critique**:")
            if len(_excerpt(critique)) < 80 and at + 1 < len(paragraphs):
                critique += " " + paragraphs[at + 1]
        entries.append(
            TimelineEntry(
                heading=f"Iteration {n}: {titles[n]}",
                plan=_excerpt(plan.removeprefix("Plan:")),
                result=_excerpt(result.removeprefix("**Result**:")),
                critique=_excerpt(critique),
            )
        )
    return entries


def run_figures(ws: Workspace) -> RunFigures:
    """Everything the report shows of the run in ``ws``; what cannot be read is noted."""
    problems: list[str] = []
    try:
        state = RunState.from_events(read_events(ws.events))
    except (EventLogError, OSError) as exc:
        state = RunState()
        problems.append(f"the event log cannot be read: {exc}")
    figures = RunFigures(
        ws=ws,
        spec_name=state.spec_name or ws.name,
        status=run_status(ws, state),
        problems=problems,
        completed=state.completed,
        budget=state.iterations_budget,
        cost=state.total_cost,
        baseline=state.baseline_name,
        baseline_ops_s=state.baseline_ops_s,
        best_iteration=state.best_iteration,
    )
    try:
        spec = load_spec(ws.spec_file)
        figures.workload = _workload(spec)
        figures.guarantees = _guarantees(spec)
    except SpecError:
        problems.append(f"{ws.spec_file} does not load")
    views = sorted(
        (v for v in state.iterations.values() if v.state == "done"), key=lambda v: v.iteration
    )
    records = {v.iteration: _record(ws, v) for v in views}
    best_view = state.iterations.get(state.best_iteration or 0)
    best = records.get(state.best_iteration or 0)
    facts = next((r.result.machine for r in records.values() if r and r.result), None)
    figures.machine = state.machine + (
        f": {facts.cpu_model}, {facts.cpu_count} CPUs" if facts is not None else ""
    )
    for view in views:
        record = records[view.iteration]
        low, high = _interval(record.result if record else None)
        figures.points.append(
            Point(
                view.iteration,
                view.throughput_ops_s,
                counts=view.verdict == "pass" and view.outcome == "evaluated",
                is_best=view.iteration == state.best_iteration,
                ci_low=low,
                ci_high=high,
            )
        )
    figures.passing = sum(1 for p in figures.points if p.counts)
    figures.gates = _gates(views, best)
    if best_view is not None and best_view.state == "done":
        figures.store_ops_s = best_view.throughput_ops_s
        shown = state.ratio_now(best_view)
        if shown.value is not None:
            figures.ratio = Ratio(shown.value, against=shown.against or "")
    figures.timeline = whiteboard_timeline(_whiteboard(ws, best_view, problems))
    _add_diff(figures, views, best_view, problems)
    return figures


def _whiteboard(ws: Workspace, best: IterationView | None, problems: list[str]) -> str:
    """The whiteboard as the best iteration committed it, else as it is now."""
    if best is not None and best.commit:
        try:
            text = gitrepo.show_file(ws, best.commit, "WHITEBOARD.md")
        except WorkspaceError:
            text = None
        if text:
            return text
    try:
        return ws.whiteboard.read_text()
    except OSError:
        problems.append(f"{ws.whiteboard} cannot be read")
        return ""


def _add_diff(
    figures: RunFigures,
    views: list[IterationView],
    best: IterationView | None,
    problems: list[str],
) -> None:
    first = next((v for v in views if v.verdict == "pass" and v.outcome == "evaluated"), None)
    if best is None or first is None or not best.commit or not first.commit:
        return
    figures.diff_between = (
        f"iteration {first.iteration} (the first to pass) → iteration {best.iteration} (the best)"
    )
    if first.iteration == best.iteration:
        return
    try:
        diff = gitrepo.diff(ws=figures.ws, base=first.commit, head=best.commit,
                            exclude=("results", "WHITEBOARD.md"))  # fmt: skip
    except WorkspaceError as exc:
        problems.append(f"the diff cannot be made: {exc}")
        return
    if len(diff) > DIFF_LIMIT:
        diff = diff[:DIFF_LIMIT] + f"\n… (cut at {DIFF_LIMIT:,} characters)\n"
    figures.diff = diff
