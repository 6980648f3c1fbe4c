"""Falling back when the audit finds the best wanting.

An audit test that becomes a gate in an iteration (the auditor added it at gate severity,
or the loop escalated a persisting `log` finding) is run on the run's best as well, not
only on later candidates. When it fails the best, the best goes back along the chain of
its moves to the most recent earlier best that still passes every gate test of the
suite (re-run on it), or to none; `best_fell_back` says so and the `best` branch follows.
"""

from __future__ import annotations

import asyncio

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.audit_suite import AuditSuiteError, load_suite, run_suite
from jitskit_tui.engine.pairing import best_store
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.protocol.audit import AuditSuite, AuditTest
from jitskit_tui.protocol.events import BestFellBack, ErrorRaised
from jitskit_tui.protocol.results import GateResult
from jitskit_tui.protocol.texts import one_line
from jitskit_tui.sandbox.base import BenchMachine


def new_gate_tests(suite: AuditSuite, n: int) -> list[AuditTest]:
    """The tests that became gates in iteration ``n``: added at gate severity after it, or
    escalated in it."""
    return [t for t in suite.tests if t.severity == "gate" and n in (t.added_in, t.escalated_in)]


async def recheck_best(run: RunContext, machine: BenchMachine, n: int) -> BestFellBack | None:
    """At the end of iteration ``n``: runs the tests that became gates in it on the best
    (those it has not passed yet) and falls back when one fails it; the event, or
    ``None`` when the best stands."""
    best = run.state.best_iteration
    if best is None:
        return None
    try:
        suite = await asyncio.to_thread(load_suite, run.ws.audit)
    except AuditSuiteError:
        return None  # the audit step reported it; nothing can be re-run
    tests = new_gate_tests(suite, n)
    if best == n:
        # It was just evaluated with the escalated tests; only tests added after its
        # evaluation are new to it.
        tests = [t for t in tests if t.escalated_in != n]
    if not tests:
        return None
    failed = await _failures(run, machine, best, tests)
    if not failed:
        return None
    gate = failed[0]
    reason = f"{gate.name} failed on the best (#{best}): {one_line(gate.detail, 200)}" + (
        f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    )
    gate_tests = [t for t in suite.tests if t.severity == "gate"]
    skipped: list[int] = []
    to: int | None = None
    for earlier in run.state.earlier_bests():
        if not await _failures(run, machine, earlier, gate_tests):
            to = earlier
            break
        skipped.append(earlier)
    sha = run.state.iterations[to].commit if to is not None else None
    if sha is not None:
        await asyncio.to_thread(gitrepo.move_best, run.ws, sha)
    else:
        await asyncio.to_thread(gitrepo.drop_best, run.ws)
    event = run.emit(
        BestFellBack(
            iteration=n,
            from_iteration=best,
            to_iteration=to,
            sha=sha,
            throughput_ops_s=run.state.iterations[to].throughput_ops_s if to is not None else None,
            reason=reason,
            skipped=skipped,
        )
    )
    assert isinstance(event, BestFellBack)
    return event


async def _failures(
    run: RunContext, machine: BenchMachine, iteration: int, tests: list[AuditTest]
) -> list[GateResult]:
    """The gates of ``tests`` that iteration ``iteration``'s committed store fails."""
    view = run.state.iterations.get(iteration)
    if view is None or not view.commit:
        return [GateResult(name="audit", passed=False, detail="its commit is not known")]
    run.set_state("gating", f"audit tests on iteration {iteration}, once the best")
    try:
        async with best_store(run.ws, view.commit) as store:
            gates = await run_suite(
                run.spec,
                store,
                run.ws.audit,
                AuditSuite(tests=tests),
                machine,
                run_id=run.ws.name,
                iteration=iteration,
            )
    except gitrepo.GitError as exc:
        run.emit(
            ErrorRaised(
                iteration=run.current_iteration,
                where=f"audit tests on iteration {iteration}",
                message=str(exc),
                next_step="it is treated as failing them",
            )
        )
        return [GateResult(name="audit", passed=False, detail=str(exc))]
    return [g for g in gates if not g.passed]
