"""Events in words: one line for each event that matters, for the headless CLI and logs.

A :class:`Narrator` folds the events it is shown (so it can say "new best" or total the
cost) and returns the line to print, or ``None`` for events that are not worth a line
(text deltas, ticks, state changes already implied by other lines).
"""

from __future__ import annotations

from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import (
    ROLES,
    AgentTurnFinished,
    AuditTestAdded,
    AuditTestEscalated,
    BaselineKnown,
    BenchResult,
    BestFellBack,
    BestMoved,
    BranchForked,
    CommitMade,
    ContextCompacted,
    ControlReceived,
    ErrorRaised,
    EvalBudgetAnnounced,
    EvalQueued,
    Event,
    GateResulted,
    HeadlineMeasured,
    IterationAbandoned,
    IterationFinished,
    IterationStarted,
    LogCorrupt,
    LoopStateChanged,
    ProposalDecided,
    ProposalMade,
    RetryScheduled,
    RunFinished,
    RunResumed,
    RunStarted,
    SteeringApplied,
    SteeringCancelled,
    SteeringEdited,
    SteeringEditRefused,
    SteeringReceived,
    ToolCallFinished,
)
from jitskit_tui.protocol.texts import (
    TIMES,
    baseline_ratio_text,
    decision_text,
    fallback_note,
    fallback_text,
    headline_text,
    ops_s,
    outcome_text,
    queue_text,
    throughput_text,
)
from jitskit_tui.spec.units import format_span


def _first(text: str, limit: int = 140) -> str:
    """The first line, joined with the next when it ends with a colon (`failed:`)."""
    lines = [part.strip() for part in text.strip().splitlines() if part.strip()]
    line = lines[0] if lines else ""
    if line.endswith(":") and len(lines) > 1:
        line = f"{line} {lines[1]}"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _gist(text: str, limit: int = 160) -> str:
    """The start of a paragraph, whitespace flattened."""
    flat = " ".join(text.split()).lstrip("# ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cost_by_role_text(state: RunState) -> str | None:
    """``planner $0.12 (31,000 tok) · coder $1.40 (402,113 tok)``: each role that spent,
    in pipeline order; ``None`` when nothing was spent."""
    parts = []
    for role in ROLES:
        cost = state.cost.get(role)
        if cost is not None and cost.spent:
            parts.append(f"{role} {cost.dollars_words} ({cost.tokens:,} tok)")
    return " · ".join(parts) if parts else None


def _estimate_note(estimated: bool) -> str:
    return (
        " (≈: estimated at API prices; a subscription is not billed per token)" if estimated else ""
    )


class Narrator:
    def __init__(self) -> None:
        self.state = RunState()
        self._paused_from: str | None = None

    def line(self, event: Event) -> str | None:
        """The line for ``event`` (after folding it), or ``None``."""
        before = self.state.loop_state
        self.state.apply(event)
        n = event.iteration
        match event:
            case RunStarted():
                return (
                    f"run {event.run_id}: spec {event.spec_name}, {event.agent} agent, machine "
                    f"{event.machine}, {event.iterations} iterations"
                )
            case RunResumed():
                redo = f"; redoing iteration {event.redo_iteration}" if event.redo_iteration else ""
                return (
                    f"resumed: {event.completed} of {event.iterations} iterations done, "
                    f"{event.agent} agent, machine {event.machine}{redo}"
                )
            case EvalBudgetAnnounced():
                who = f" ({event.name})" if event.purpose == "baseline" else ""
                line = f"  budget{who}: " + " · ".join(
                    f"{phase} {format_span(s)}" for phase, s in event.phases.items()
                )
                line += f" · at most {format_span(event.overall_s)}"
                return line + (f"\n  budget{who}: {event.note}" if event.note else "")
            case BaselineKnown():
                if event.name is None or event.ops_s is None:
                    return f"baseline: unknown ({event.detail})"
                return f"baseline: {event.name} at {ops_s(event.ops_s)} on {event.machine}"
            case IterationStarted():
                origin = (
                    f"from iteration {event.parent_iteration}"
                    if event.parent_iteration
                    else "from the start"
                )
                return f"── iteration {n} ({origin}, branch {event.branch}) ──"
            case AgentTurnFinished():
                if not event.ok:
                    return (
                        f"  {event.role} failed: {event.error}"
                        if event.error != "cancelled"
                        else None
                    )
                if event.role in ("planner", "coder"):
                    return f"  {event.role}: {event.title}"
                return f"  {event.role}: {_gist(event.output)}"
            case ToolCallFinished():
                target = ""
                started = event.output or event.error
                if not event.ok:
                    return f"    {event.role} → {event.name}: error: {_first(event.error)}"
                if event.name in ("finish",):
                    return None
                return f"    {event.role} → {event.name}{target}: {_first(started, 100)}"
            case GateResulted():
                if event.purpose == "baseline":
                    return None
                mark = "ok  " if event.passed else ("log " if event.severity == "log" else "FAIL")
                tool = {"tool": "(build_and_test) ", "headline": "(headline) "}.get(
                    event.purpose, ""
                )
                return f"  {tool}{mark} {event.name:<12} {_first(event.detail, 110)}"
            case BenchResult():
                if event.purpose == "baseline":
                    failed = ", ".join(event.failed_gates)
                    verdict = "pass" if event.verdict == "pass" else f"fail ({failed})"
                    return f"  {event.baseline}: {ops_s(event.throughput_ops_s)}, {verdict}"
                if event.purpose not in ("iteration", "headline"):
                    return None
                figure = (
                    throughput_text(event.throughput)
                    if event.throughput is not None
                    else ops_s(event.throughput_ops_s)
                )
                verdict = "pass" if event.verdict == "pass" else "FAIL: does not count"
                warning = event.conditions_warning
                busy = f" ({_first(warning, 90)})" if warning else ""
                smaller = f" ({event.smaller_machine})" if event.smaller_machine else ""
                return f"  throughput {figure}; {verdict}{busy}{smaller}"
            case EvalQueued():
                return f"  {queue_text(event)}"
            case CommitMade():
                return f"  commit {event.sha[:8]} on {event.branch}: {event.message}"
            case BestMoved():
                was = (
                    f" (was iteration {event.previous_iteration})"
                    if event.previous_iteration
                    else ""
                )
                why = f": {event.reason}" if event.reason else ""
                return f"  ★ best: iteration {n} at {ops_s(event.throughput_ops_s)}{was}{why}"
            case BestFellBack():
                said = fallback_text(
                    event.from_iteration, event.to_iteration, event.reason, event.skipped
                )
                return f"  {said}"
            case IterationFinished():
                lines = [self._outcome(event)] if event.outcome == "evaluated" else []
                cost = self.state.cost_by_iteration.get(n or -1)
                if cost is not None and cost.spent:
                    total = self.state.total_cost
                    lines.append(
                        f"  cost: {cost.dollars_words} this iteration ({cost.tokens:,} tokens); "
                        f"{total.dollars_words} in all{_estimate_note(total.estimated)}"
                    )
                return "\n".join(line for line in lines if line) or None
            case HeadlineMeasured():
                return self._headline(event)
            case IterationAbandoned():
                kept = f"; its work is kept at {event.kept_ref}" if event.kept_ref else ""
                return f"iteration {n} abandoned: {event.reason}{kept}"
            case BranchForked():
                return f"forked from iteration {event.from_iteration}: now on branch {event.branch}"
            case LoopStateChanged():
                if before == "queued":
                    return None  # back to what the wait interrupted: said already
                if event.state == "paused":
                    return "paused (resume with `jitskit control RUN resume`)"
                if event.state == "baselines":
                    return "measuring the comparable baselines (cached after the first time) ..."
                return None
            case SteeringReceived():
                return (
                    f"steering {event.steering_id} ({event.delivery}) from {event.source}: "
                    f"{_first(event.text)}"
                )
            case SteeringApplied():
                return (
                    f"  steering {event.steering_id} handed to the {event.role} ({event.delivery})"
                )
            case SteeringCancelled():
                return f"steering {event.steering_id} cancelled"
            case SteeringEdited():
                return (
                    f"steering {event.steering_id} edited ({event.delivery}): {_first(event.text)}"
                )
            case SteeringEditRefused():
                return (
                    f"steering {event.steering_id} not edited: it was {event.was} first; "
                    f"the new text was not sent: {_first(event.text)}"
                )
            case ControlReceived():
                verdict = "" if event.accepted else "refused: "
                return f"control {event.kind} from {event.source}: {verdict}{event.message}"
            case ProposalMade():
                return (
                    f"  proposal {event.proposal_id} (harness change): {event.title}; "
                    "approve or reject it"
                )
            case ProposalDecided():
                return f"proposal {event.proposal_id} {event.decision}"
            case AuditTestAdded():
                return f"    audit test {event.test_id} ({event.severity}): {event.invariant}"
            case AuditTestEscalated():
                return f"  audit test {event.test_id} escalated to a gate: {event.reason}"
            case ErrorRaised():
                kind = "error" if event.fatal else "problem"
                step = f" — {event.next_step}" if event.next_step else ""
                return f"{kind} in {event.where}: {event.message}{step}"
            case ContextCompacted():
                how = (
                    f"{event.turns_folded} older turns folded into a summary"
                    if event.how == "summary"
                    else "long old tool inputs and results cut"
                )
                return (
                    f"  {event.role}'s context compacted: {how} "
                    f"(~{event.tokens_before:,} → ~{event.tokens_after:,} tokens)"
                )
            case RetryScheduled():
                return (
                    f"  retry {event.attempt} in {event.delay_s:.1f}s ({event.where}): "
                    f"{event.reason}"
                )
            case RunFinished():
                best = (
                    f"; best: iteration {event.best_iteration} at {ops_s(event.best_ops_s)}"
                    if event.best_iteration is not None and event.best_ops_s is not None
                    else "; no iteration passed every gate"
                )
                headline = f"\nheadline: {event.headline}" if event.headline else ""
                ended = f"run {event.status}: {event.reason}{best}{headline}"
                by_role = cost_by_role_text(self.state)
                if by_role is None:
                    return ended
                total = self.state.total_cost
                return (
                    f"{ended}\ncost by role: {by_role}; {total.dollars_words} in all"
                    f"{_estimate_note(total.estimated)}"
                )
            case LogCorrupt():
                return f"(event log line {event.line} unreadable: {event.reason})"
            case _:
                return None

    def _outcome(self, event: IterationFinished) -> str:
        """The ratio and the decision (:func:`outcome_text`), or nothing for logs written
        before decisions."""
        if not event.decision:
            return ""
        decided = decision_text(
            event.decision, event.vs_best, event.incumbent_iteration, sign=TIMES
        ) + fallback_note(
            event.iteration, event.decision, event.incumbent_iteration, self.state.best_iteration
        )
        return "  " + outcome_text(event.vs_baseline, decided, TIMES)

    def _headline(self, event: HeadlineMeasured) -> str:
        lines = [
            f"headline: {headline_text(event, TIMES)} (best iteration {event.best_iteration}, "
            f"{event.size} size, {event.trials} trials, held-out trace seed {event.seed})"
        ]
        for comparison in event.comparisons:
            if comparison.other != event.against:
                lines.append(f"  also {baseline_ratio_text(comparison, TIMES)} (paired)")
        for name, figure in sorted(event.unpaired.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {name}: {ops_s(figure)} cached, unpaired (over 2{TIMES} off)")
        if event.conditions_warning:
            lines.append(f"  warning: {event.conditions_warning}")
        return "\n".join(lines)
