"""The audit step: running the suite's tests after an evaluation, and the auditor's turn."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from jitskit_tui.engine import whiteboard
from jitskit_tui.engine.audit_suite import AuditSuiteError, load_suite, run_suite, save_suite
from jitskit_tui.engine.tools import ToolBox
from jitskit_tui.protocol.agent import AuditContext, AuditOutcome, Brief
from jitskit_tui.protocol.audit import AuditSuite
from jitskit_tui.protocol.events import AuditTestEscalated, ErrorRaised, EvalStep, GateResulted
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult, GateResult

if TYPE_CHECKING:
    from jitskit_tui.engine.iteration import IterationRunner

RECENT_FOR_AUDIT = 3


async def run_audit_tests(runner: IterationRunner, result: EvalResult) -> EvalResult:
    """Runs the audit suite after a build that passed; its gates join the result's."""
    e = runner.e
    if not any(g.name == "build" and g.passed for g in result.gates):
        return result
    try:
        suite = await asyncio.to_thread(load_suite, e.ws.audit)
    except AuditSuiteError as exc:
        runner.emit(
            ErrorRaised(
                iteration=runner.n,
                where=f"iteration {runner.n}: audit tests",
                message=str(exc),
                next_step="the audit tests were skipped; the auditor must fix audit/suite.yaml",
            )
        )
        return result
    if not suite.tests:
        return result
    e.set_state("gating", "audit tests")
    runner.emit(EvalStep(iteration=runner.n, purpose="iteration", step="audit"))
    gates = await run_suite(
        e.spec, e.ws.store, e.ws.audit, suite, e.machine, run_id=e.ws.name, iteration=runner.n
    )
    gates = await _escalate_persisting(runner, suite, gates)
    for gate in gates:
        runner.emit(
            GateResulted(
                iteration=runner.n,
                purpose="iteration",
                name=gate.name,
                passed=gate.passed,
                detail=gate.detail,
                severity=gate.severity,
                seconds=gate.seconds,
            )
        )
    blocked = any(not g.passed and g.severity == "gate" for g in gates)
    verdict = "fail" if blocked else result.verdict
    return result.model_copy(update={"gates": [*result.gates, *gates], "verdict": verdict})


async def _escalate_persisting(
    runner: IterationRunner, suite: AuditSuite, gates: list[GateResult]
) -> list[GateResult]:
    """A `log` test that fails here and failed in the iteration this one builds on becomes a
    `gate` from now on, this iteration included: the hack persisted."""
    e = runner.e
    failing_log = [g for g in gates if not g.passed and g.severity == "log"]
    if not failing_log or not runner.parent:
        return gates
    parent = await e.load_record(runner.parent)
    before = parent.result.gates if parent is not None and parent.result is not None else []
    failed_before = {g.name for g in before if not g.passed}
    persisting = {g.name for g in failing_log if g.name in failed_before}
    if not persisting:
        return gates
    for test in suite.tests:
        if f"audit/{test.id}" in persisting:
            test.severity = "gate"
            test.escalated_in = runner.n
            runner.emit(
                AuditTestEscalated(
                    iteration=runner.n,
                    test_id=test.id,
                    reason=f"failed in iterations {runner.parent} and {runner.n}: {test.invariant}",
                )
            )
    await asyncio.to_thread(save_suite, e.ws.audit, suite)
    return [g.model_copy(update={"severity": "gate"}) if g.name in persisting else g for g in gates]


async def run_auditor(runner: IterationRunner, brief: Brief, record: IterationRecord) -> None:
    """The auditor's turn: it reads the store and recent results, adds tests, proposes."""
    e, n = runner.e, runner.n
    e.set_state("auditing")
    await e.checkpoint()
    try:
        suite = await asyncio.to_thread(load_suite, e.ws.audit)
    except AuditSuiteError as exc:
        runner.emit(ErrorRaised(iteration=n, where="auditor", message=str(exc)))
        return
    recent = [
        r
        for r in [await e.load_record(i) for i in sorted(e.state.iterations)[-RECENT_FOR_AUDIT:]]
        if r is not None and r.iteration != n
    ] + [record]
    tools = ToolBox(e.ws, "auditor", runner, n)
    audited = await e.turn(
        "auditor",
        n,
        e.agent.audit(
            AuditContext(brief=brief, recent=recent, suite=suite), tools, runner.sink("auditor")
        ),
        _describe_audit,
    )
    outcome = audited.value
    if outcome is not None and outcome.report.strip():
        await asyncio.to_thread(
            whiteboard.add_note, e.ws.whiteboard, f"**Audit**: {outcome.report.strip()}"
        )


def _describe_audit(outcome: AuditOutcome) -> tuple[str, str]:
    return outcome.report, ""
