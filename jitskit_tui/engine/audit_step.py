"""The audit step: running the suite's tests after an evaluation, and the auditor's turn."""

from __future__ import annotations

import asyncio

from jitskit_tui.engine import whiteboard
from jitskit_tui.engine.audit_suite import AuditSuiteError, load_suite, run_suite, save_suite
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.engine.tools import ToolBox, ToolHost
from jitskit_tui.engine.turns import take_turn
from jitskit_tui.protocol.agent import Agent, AuditContext, AuditOutcome, Brief
from jitskit_tui.protocol.audit import AuditSuite
from jitskit_tui.protocol.events import AuditTestEscalated, ErrorRaised, EvalStep, GateResulted
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult, GateResult
from jitskit_tui.sandbox.base import BenchMachine

RECENT_FOR_AUDIT = 3


async def run_audit_tests(
    run: RunContext, machine: BenchMachine, n: int, parent: int, result: EvalResult
) -> EvalResult:
    """Runs the audit suite against iteration ``n`` (building on ``parent``) after a build
    that passed; its gates join the result's."""
    if not any(g.name == "build" and g.passed for g in result.gates):
        return result
    try:
        suite = await asyncio.to_thread(load_suite, run.ws.audit)
    except AuditSuiteError as exc:
        run.emit(
            ErrorRaised(
                iteration=n,
                where=f"iteration {n}: audit tests",
                message=str(exc),
                next_step="the audit tests were skipped; the auditor must fix audit/suite.yaml",
            )
        )
        return result
    if not suite.tests:
        return result
    run.set_state("gating", "audit tests")
    run.emit(EvalStep(iteration=n, purpose="iteration", step="audit"))
    gates = await run_suite(
        run.spec, run.ws.store, run.ws.audit, suite, machine, run_id=run.ws.name, iteration=n
    )
    gates = await _escalate_persisting(run, n, parent, suite, gates)
    for gate in gates:
        run.emit(
            GateResulted(
                iteration=n,
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
    run: RunContext, n: int, parent: int, suite: AuditSuite, gates: list[GateResult]
) -> list[GateResult]:
    """A `log` test that fails here and failed in the iteration this one builds on becomes a
    `gate` from now on, this iteration included: the hack persisted."""
    failing_log = [g for g in gates if not g.passed and g.severity == "log"]
    if not failing_log or not parent:
        return gates
    built_on = await run.load_record(parent)
    before = built_on.result.gates if built_on is not None and built_on.result is not None else []
    failed_before = {g.name for g in before if not g.passed}
    persisting = {g.name for g in failing_log if g.name in failed_before}
    if not persisting:
        return gates
    for test in suite.tests:
        if f"audit/{test.id}" in persisting:
            test.severity = "gate"
            test.escalated_in = n
            run.emit(
                AuditTestEscalated(
                    iteration=n,
                    test_id=test.id,
                    reason=f"failed in iterations {parent} and {n}: {test.invariant}",
                )
            )
    await asyncio.to_thread(save_suite, run.ws.audit, suite)
    return [g.model_copy(update={"severity": "gate"}) if g.name in persisting else g for g in gates]


async def run_auditor(
    run: RunContext, agent: Agent, host: ToolHost, brief: Brief, record: IterationRecord
) -> None:
    """The auditor's turn on this iteration (``record``, not committed yet): it reads the
    store and recent results, adds tests and proposes through its tools (reaching the
    loop through ``host``)."""
    n = record.iteration
    run.set_state("auditing")
    await run.checkpoint()
    try:
        suite = await asyncio.to_thread(load_suite, run.ws.audit)
    except AuditSuiteError as exc:
        run.emit(ErrorRaised(iteration=n, where="auditor", message=str(exc)))
        return
    recent = [
        r
        for r in [
            await run.load_record(i) for i in sorted(run.state.iterations)[-RECENT_FOR_AUDIT:]
        ]
        if r is not None and r.iteration != n
    ] + [record]
    tools = ToolBox(run.ws, "auditor", host, n)
    audited = await take_turn(
        run,
        agent.name,
        "auditor",
        n,
        agent.audit(
            AuditContext(brief=brief, recent=recent, suite=suite), tools, run.sink("auditor", n)
        ),
        _describe_audit,
    )
    outcome = audited.value
    if outcome is not None and outcome.report.strip():
        await asyncio.to_thread(
            whiteboard.add_note, run.ws.whiteboard, f"**Audit**: {outcome.report.strip()}"
        )


def _describe_audit(outcome: AuditOutcome) -> tuple[str, str]:
    return outcome.report, ""
