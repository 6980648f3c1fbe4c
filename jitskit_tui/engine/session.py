"""Starting a session: the run's first events, settling what a crashed session left, and
the baseline the ratio is measured against."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.baseline import BaselineSource, fresh_baselines, measured_baselines
from jitskit_tui.engine.reporting import EvalEvents
from jitskit_tui.harness.config import spec_sha256
from jitskit_tui.harness.evaluate import EvalObserver
from jitskit_tui.protocol.events import (
    BaselineKnown,
    BenchResult,
    ErrorRaised,
    EvalStarted,
    IterationAbandoned,
    IterationFinished,
    RunResumed,
    RunStarted,
)
from jitskit_tui.protocol.results import BaselineReport
from jitskit_tui.protocol.texts import failed_gate_names, machine_text
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


async def remeasure_if_asked(engine: Engine) -> None:
    """Measures the baselines again when the `baselines` control asked for it: called
    between iterations only, so no evaluation is ever running beside it."""
    refresh = engine.take_baselines_request()
    if refresh is not None:
        await measure_baseline(engine, force=True, refresh=refresh)


async def measure_baseline(engine: Engine, *, force: bool = False, refresh: bool = False) -> None:
    """The best comparable baseline for the ratio: the run's earlier one, or measured.

    ``force`` measures even when the run has one (the `baselines` control): with the
    run's baseline source, or the real baselines when the run was started without them;
    ``refresh`` then measures past their cache. A forced measurement that fails keeps
    the baseline the run had."""
    source = engine.options.baseline
    previous = engine.baseline
    if not force:
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
    if source is None or (refresh and source is measured_baselines):
        source = fresh_baselines if refresh else measured_baselines
    before = engine.state.loop_state
    engine.set_state("baselines")
    try:
        report = await _measure(engine, source, previous if force else None)
    finally:
        if force:
            engine.set_state(before)
    if report is None:
        return
    found = (
        (report.best_comparable, report.best_comparable_ops_s)
        if report.best_comparable is not None
        else None
    )
    engine.baseline = found
    skipped = "; ".join(f"{name} {why}" for name, why in report.skipped.items())
    if found is None:
        detail = "no comparable baseline passed the gates" + (f" ({skipped})" if skipped else "")
    elif force:
        detail = "measured on request" + (
            f" (was {previous[0]} at {previous[1]:,.0f} ops/s)" if previous else ""
        )
    else:
        detail = ""
    engine.emit(
        BaselineKnown(
            name=found[0] if found else None,
            ops_s=found[1] if found else None,
            machine=engine.machine.label,
            detail=detail,
        )
    )


async def _measure(
    engine: Engine, source: BaselineSource, keep: tuple[str, float] | None
) -> BaselineReport | None:
    """Every comparable baseline's result, each logged; ``None`` when measuring failed and
    the run keeps ``keep``, the baseline it had."""

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
        stays = f"against {keep[0]}" if keep else "unknown"
        engine.emit(
            ErrorRaised(
                iteration=engine.current_iteration,
                where="baselines",
                message=f"measuring the baselines failed: {exc}",
                next_step=f"`jitskit baselines SPEC` shows why; the ratio stays {stays}",
            )
        )
        if keep is not None:
            return None
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
    return report
