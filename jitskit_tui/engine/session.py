"""Starting a session: the run's first events, settling what a crashed session left, and
the baseline the ratio is measured against."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.events import (
    BaselineKnown,
    BenchResult,
    ErrorRaised,
    EvalStarted,
    IterationAbandoned,
    IterationFinished,
    RunResumed,
    RunStarted,
)
from jitskit_tui.engine.reporting import EvalEvents
from jitskit_tui.engine.texts import failed_gate_names, machine_text
from jitskit_tui.harness.config import spec_sha256
from jitskit_tui.harness.evaluate import EvalObserver
from jitskit_tui.harness.results import BaselineReport
from jitskit_tui.sandbox.base import MachineError

if TYPE_CHECKING:
    from jitskit_tui.engine.loop import Engine


async def begin_session(engine: Engine) -> None:
    """Logs the session's start; on resume, first settles an iteration the last session
    left half-done (recovered when committed, else abandoned and its work kept on a ref)."""
    if not engine.resuming:
        engine.emit(
            RunStarted(
                run_id=engine.ws.name,
                spec_name=engine.spec.name,
                spec_sha256=spec_sha256(engine.spec),
                agent=engine.agent.name,
                agent_options=engine.options.agent_options,
                machine=engine.machine.label,
                iterations=engine.budget,
                workspace=str(engine.ws.root.resolve()),
                pid=os.getpid(),
            )
        )
        await engine.log.sync()
        return
    commits = await asyncio.to_thread(gitrepo.iteration_commits, engine.ws)
    running = engine.state.running_iteration()
    redo = running.iteration if running and running.iteration not in commits else None
    engine.emit(
        RunResumed(
            agent=engine.agent.name,
            agent_options=engine.options.agent_options,
            machine=engine.machine.label,
            iterations=engine.budget,
            completed=engine.state.completed,
            redo_iteration=redo,
            pid=os.getpid(),
        )
    )
    if running is not None and running.iteration in commits:
        await _recover_committed(engine, running.iteration, commits[running.iteration])
    kept = await asyncio.to_thread(gitrepo.keep_and_reset, engine.ws, redo or 0)
    if redo is not None:
        engine.emit(
            IterationAbandoned(
                iteration=redo,
                reason="interrupted before it was committed; it is redone from its start",
                kept_ref=kept,
            )
        )
    elif kept is not None:
        engine.emit(
            ErrorRaised(
                where="resume",
                message=f"the workspace had uncommitted changes; they are kept at {kept} and "
                "the work tree is back at the last commit",
                next_step=f"`git -C {engine.ws.root} show {kept}` shows them",
            )
        )
    head = await asyncio.to_thread(gitrepo.head_sha, engine.ws)
    engine.head_iteration = next((n for n, c in commits.items() if c.sha == head), 0)
    await engine.log.sync()


async def _recover_committed(engine: Engine, n: int, commit: gitrepo.IterationCommit) -> None:
    """The process died between committing iteration N and logging it as finished."""
    record = await engine.load_record(n, commit.sha)
    best = engine.state.best_ops_s
    is_best = (
        record is not None and record.counts and (best is None or record.throughput_ops_s > best)
    )
    if is_best:
        await asyncio.to_thread(gitrepo.move_best, engine.ws, commit.sha)
    branch = await asyncio.to_thread(gitrepo.current_branch, engine.ws)
    engine.emit(
        IterationFinished(
            iteration=n,
            outcome=record.outcome if record else "evaluated",
            summary=record.summary if record else commit.subject,
            verdict=record.verdict if record else "fail",
            throughput_ops_s=record.throughput_ops_s if record else 0.0,
            ratio=record.ratio if record else None,
            failed_gates=record.failed_gates if record else [],
            commit=commit.sha,
            branch=branch,
            parent_iteration=record.parent_iteration if record else 0,
            is_best=is_best,
            recovered=True,
        )
    )


async def measure_baseline(engine: Engine) -> None:
    """The best comparable baseline for the ratio: the run's earlier one, or measured."""
    source = engine.options.baseline
    if engine.state.baseline_ops_s is not None and engine.state.baseline_name is not None:
        engine.baseline = (engine.state.baseline_name, engine.state.baseline_ops_s)
        return
    if source is None:
        engine.emit(
            BaselineKnown(
                name=None,
                ops_s=None,
                machine=engine.machine.label,
                detail="baselines not measured for this run; the ratio is unknown",
            )
        )
        return
    engine.set_state("baselines")

    def observer_for(name: str) -> EvalObserver:
        engine.emit(
            EvalStarted(purpose="baseline", name=name, size="quick", machine=engine.machine.label)
        )
        return EvalEvents(engine.emit, lambda state: None, "baseline", None)

    try:
        report = await source(engine.spec, engine.machine, observer_for)
    except MachineError:
        raise
    except Exception as exc:  # a baseline failing must not stop the run
        engine.emit(
            ErrorRaised(
                where="baselines",
                message=f"measuring the baselines failed: {exc}",
                next_step="`jitskit baselines SPEC` shows why; the ratio stays unknown",
            )
        )
        report = BaselineReport(results=[])
    for result in report.results:
        engine.emit(
            BenchResult(
                purpose="baseline",
                baseline=result.name,
                verdict=result.verdict,
                throughput_ops_s=result.throughput_ops_s,
                failed_gates=failed_gate_names(result),
                ops=result.ops,
                memory_peak_bytes=result.memory_peak_bytes,
                memory_budget_bytes=result.memory_budget_bytes,
                machine=machine_text(result),
                warnings=result.warnings,
            )
        )
    found = (
        (report.best_comparable, report.best_comparable_ops_s)
        if report.best_comparable is not None
        else None
    )
    engine.baseline = found
    skipped = "; ".join(f"{name} {why}" for name, why in report.skipped.items())
    engine.emit(
        BaselineKnown(
            name=found[0] if found else None,
            ops_s=found[1] if found else None,
            machine=engine.machine.label,
            detail=""
            if found
            else "no comparable baseline passed the gates" + (f" ({skipped})" if skipped else ""),
        )
    )
