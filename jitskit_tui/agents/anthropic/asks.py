"""What each role is asked at its turn, for every model backend (the Messages API and
Claude Code): the parts of the user message, from the turn's context.

A planner or critic that continues its conversation along the branch is told only what
is new since its last turn; one that starts afresh (the first iteration, after a fork or
a redo) gets the whiteboard and the records it needs instead.
"""

from __future__ import annotations

from jitskit_tui.agents.anthropic.context import (
    DIFF_CHARS,
    clip,
    record_brief,
    run_line,
    steering_text,
    store_listing,
    suite_listing,
)
from jitskit_tui.protocol.agent import (
    AgentSink,
    AuditContext,
    CodeContext,
    CritiqueContext,
    PlanContext,
)


def joined(parts: list[str]) -> str:
    return "\n\n".join(p for p in parts if p)


def plan_ask(ctx: PlanContext, board: str, *, continuing: bool) -> str:
    """The planner's ask; ``board`` is the whiteboard, bounded by the caller."""
    brief = ctx.brief
    critique = ctx.last_critique or ""
    feedback = f"The critic's feedback on it:\n{critique}" if critique else ""
    if continuing:
        parts = [
            run_line(brief),
            record_brief(ctx.previous, "The result of your last plan"),
            feedback,
            record_brief(ctx.best, "The best iteration so far") if ctx.best else "",
        ]
    else:
        parts = [
            run_line(brief),
            f"The whiteboard:\n\n{board}",
            record_brief(ctx.previous, "The iteration this one builds on"),
            feedback,
            record_brief(ctx.best, "The best iteration so far"),
        ]
    return joined([*parts, steering_text(ctx.steering), f"Plan iteration {brief.iteration}."])


def plan_text(ctx: CodeContext) -> str:
    return f"The plan for this iteration: {ctx.plan.title}\n\n{ctx.plan.text.strip()}"


def code_ask(ctx: CodeContext) -> str:
    brief = ctx.brief
    what = "The result of the iteration this one builds on (store/ holds its code)"
    return joined(
        [
            run_line(brief),
            plan_text(ctx),
            record_brief(ctx.previous, what, logs=True),
            f"The files in store/ now:\n{store_listing(brief.workspace)}",
            "Implement the plan in store/ with your tools. Check it with build_and_test "
            "before you finish; then call finish with one line saying what changed.",
        ]
    )


def critique_ask(ctx: CritiqueContext, *, continuing: bool) -> str:
    brief = ctx.brief
    failed_build = ctx.record.result is not None and any(
        g.name == "build" and not g.passed for g in ctx.record.result.gates
    )
    parts = [run_line(brief)]
    best_elsewhere = ctx.best is not None and ctx.best.iteration != brief.parent_iteration
    if not continuing or best_elsewhere:
        parts.append(record_brief(ctx.best, "The best iteration before this one"))
    parts += [
        f"The plan: {ctx.plan.title}\n\n{clip(ctx.plan.text.strip(), 8000)}",
        record_brief(ctx.record, "This iteration, measured", logs=failed_build),
        record_brief(ctx.previous, "The iteration it builds on"),
        f"Its change to store/:\n```diff\n{clip(ctx.diff, DIFF_CHARS)}\n```"
        if ctx.diff.strip()
        else "It did not change store/.",
        "Explain the result from its leading indicators, and say what to try next.",
    ]
    return joined(parts)


def audit_ask(ctx: AuditContext, earlier_reports: list[str]) -> str:
    brief = ctx.brief
    earlier = "\n\n".join(earlier_reports)
    recent = "\n\n".join(record_brief(r, f"Iteration {r.iteration}") for r in ctx.recent)
    return joined(
        [
            run_line(brief),
            suite_listing(ctx.suite),
            f"Your earlier audit reports:\n\n{earlier}" if earlier else "",
            f"The latest iterations (newest last):\n\n{recent}" if recent else "",
            f"The files in store/ now:\n{store_listing(brief.workspace)}",
            "Audit the candidate in store/ for reward hacks. Add a test for each finding, "
            "propose harness changes if the harness has a gap, then call finish.",
        ]
    )


def audit_report(text: str, finished: str | None) -> str:
    """The auditor's report: its last words, and its finish line when they lack it."""
    report = text or finished or "(no report)"
    if finished and finished not in report:
        report = f"{report}\n\n{finished}"
    return report


def code_summary(ctx: CodeContext, finished: str | None, text: str, stopped: str) -> str:
    """The commit's line for the coder's turn: its finish line; else its first words, or
    the plan's title marked unfinished when the turn was cut short."""
    if finished:
        return finished
    if stopped:
        return f"{ctx.plan.title} (unfinished: {stopped})"
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first[:200] or ctx.plan.title


def over_budget(sink: AgentSink, what: str) -> str | None:
    """``(no WHAT: the cap reached)`` when a budget cap is reached (and says so to the
    sink), else ``None``: a critique or an audit is not started past a cap."""
    over = sink.budget.exhausted()
    if over is None:
        return None
    sink.notice(f"no {what}: {over}", "the loop stops once this iteration is recorded")
    return f"(no {what}: {over})"
