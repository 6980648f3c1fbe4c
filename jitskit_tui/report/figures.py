"""What the results report says of one run, gathered from its workspace: its card, its
state folded from the log, its committed records, its whiteboard and its git history.

Every figure is the run's own, measured. The row's figures are the run's headline (the
best measured at the full size on a held-out trace, paired against the baseline, issue
12) once it has one; until then they are the best iteration's in-loop figures, and the
report says they are not the headline and why, rather than pass them off as it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.runs import RunStatusText, best_ratio_words, headline_words, run_status
from jitskit_tui.engine.state import CostTotals, IterationView, RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError
from jitskit_tui.protocol.events import Decision
from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import fallback_text, one_line, side_name
from jitskit_tui.report.timeline import TimelineEntry, whiteboard_timeline
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
    decision: Decision = ""
    """What its evaluation decided about the best (empty in logs before decisions)."""
    baseline: Interval | None = None
    """The baseline its ratio is against, measured beside it in the same window."""
    baseline_name: str = ""
    disqualified: bool = False
    """It was the best until a later audit failed it, and the best fell back."""


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
    """The baseline the row's ratio is against (else the run's best comparable one)."""
    baseline_ops_s: float | None = None
    """Its cached figure, measured alone at another time (the chart's line when no
    baseline was measured beside the iterations)."""
    baseline_throughput: Interval | None = None
    """Its throughput measured beside the row's store, in the same window."""
    store_ops_s: float | None = None
    store_throughput: Interval | None = None
    """The row's store's throughput over its trials, with its interval."""
    store_size: str = ""
    """The size the row's store was measured at (`full` for a headline)."""
    best_iteration: int | None = None
    """The iteration the row's figures are of: the headline's, else the best."""
    ratio: str = ""
    """The headline in words (`2.21x [2.05-2.38] vs tbb-chm`), else the best's in-loop
    ratio; empty when neither is known."""
    headline: bool = False
    """The row's figures are the run's headline."""
    no_headline: str = ""
    """Why the row's figures are not a headline, in words."""
    headline_about: str = ""
    """How the headline was measured: size, trace, trials, machine."""
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
    fallbacks: list[str] = field(default_factory=list)
    """Each time the best fell back, in words: ``best fell back from iteration 2 to
    iteration 1: audit/scan-refused failed on the best (#2) ...``."""

    @property
    def headline_missing(self) -> bool:
        return not self.headline


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
    figures.points = [_point(view, records[view.iteration], state) for view in views]
    figures.passing = sum(1 for p in figures.points if p.counts)
    # On one line (a Markdown quote ends at a line break), and bounded: the reason quotes
    # an audit test's output.
    figures.fallbacks = [
        one_line(fallback_text(f.from_iteration, f.to_iteration, f.reason, f.skipped), 600)
        for f in state.fallbacks
    ]
    figures.gates = _gates(views, best)
    if best_view is not None and best_view.state == "done":
        _in_loop_row(figures, state, best_view, best)
    if not _headline_row(figures, state):
        figures.no_headline = why_no_headline(state, figures.status, ws)
    figures.timeline = whiteboard_timeline(_whiteboard(ws, best_view, problems))
    _add_diff(figures, views, best_view, problems)
    return figures


def _point(view: IterationView, record: IterationRecord | None, state: RunState) -> Point:
    """An iteration on the chart: its throughput with its interval, and the baseline its
    ratio is against as measured beside it (when it was)."""
    result = record.result if record is not None else None
    interval = result.throughput if result is not None else None
    paired = view.vs_baseline if view.vs_baseline is not None and view.vs_baseline.paired else None
    peer = result.peers.get(paired.other) if result is not None and paired is not None else None
    return Point(
        view.iteration,
        interval.point if interval is not None else view.throughput_ops_s,
        counts=view.verdict == "pass" and view.outcome == "evaluated",
        is_best=view.iteration == state.best_iteration,
        ci_low=interval.ci_low if interval is not None else None,
        ci_high=interval.ci_high if interval is not None else None,
        decision=view.decision,
        baseline=peer.throughput if peer is not None and peer.verdict == "pass" else None,
        baseline_name=side_name(paired.other) if paired is not None else "",
        disqualified=view.iteration in state.disqualified,
    )


def _in_loop_row(
    figures: RunFigures, state: RunState, best: IterationView, record: IterationRecord | None
) -> None:
    """The row's figures from the best iteration's own evaluation (the loop's size, the
    card's trace), its ratio paired against the baseline measured beside it when it was."""
    result = record.result if record is not None else None
    figures.best_iteration = best.iteration
    figures.store_ops_s = best.throughput_ops_s
    figures.store_throughput = result.throughput if result is not None else None
    figures.store_size = result.size if result is not None else ""
    figures.ratio = best_ratio_words(state)
    shown = state.ratio_now(best)
    if shown.against:
        figures.baseline = shown.against
        figures.baseline_ops_s = _cached(state, shown.against)
    if shown.comparison is not None and result is not None:
        peer = result.peers.get(shown.comparison.other)
        figures.baseline_throughput = peer.throughput if peer is not None else None


def _cached(state: RunState, name: str) -> float | None:
    """Baseline ``name``'s cached figure (measured alone), when the run has one."""
    latest = state.baseline_ops_s if name == state.baseline_name else None
    return state.baseline_figures.get(name) or latest


def _headline_row(figures: RunFigures, state: RunState) -> bool:
    """The row's figures from the run's headline, when it has one with a ratio."""
    headline = state.headline
    chosen = headline.headline_comparison if headline is not None else None
    if headline is None or chosen is None or not headline.counts:
        return False
    figures.headline = True
    figures.ratio = headline_words(state)
    figures.best_iteration = headline.best_iteration
    figures.store_throughput = headline.throughput
    figures.store_ops_s = headline.throughput.point if headline.throughput else None
    figures.store_size = headline.size
    figures.baseline = side_name(chosen.other)
    figures.baseline_throughput = headline.against_throughput
    figures.baseline_ops_s = _cached(state, figures.baseline)
    figures.headline_about = (
        f"measured at the {headline.size} size on a held-out trace (seed {headline.seed}), "
        f"{headline.trials} trials paired round by round"
        + (f", on {headline.machine}" if headline.machine else "")
    )
    return True


_ENDED = {"aborted": "was aborted", "failed": "failed", "crashed": "crashed"}


def why_no_headline(state: RunState, status: RunStatusText, ws: Workspace) -> str:
    """Why a run's report shows no headline, in words, with how to get one."""
    if state.headline is not None and not state.headline.counts:
        return headline_words(state).removeprefix("no headline: ")
    if state.headline is not None:  # measured, but no baseline was paired with it
        return f"its headline has no ratio: {headline_words(state)}"
    if status == "live":
        return "the run is still live: its headline is measured when it ends"
    if state.headline_said:  # the run's end said why (no baselines, measuring it failed)
        return state.headline_said.removeprefix("no headline: ")
    confirm = f"`jitskit confirm {ws.ref}` measures it"
    if state.completed == 0:
        return "no iteration has finished yet"
    if state.best_iteration is None:
        return "no iteration passed every gate: there is no store to report"
    if status in _ENDED:
        return f"the run {_ENDED[status]} before its headline was measured; {confirm}"
    if state.naive:
        return "the naive experiment measures no headline: its best is judged after the fact"
    return f"its log is from before headlines were measured; {confirm}"


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
