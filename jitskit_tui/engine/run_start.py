"""Starting a stint on a run: its first event (`run_started`, or `run_resumed`), and on
resume settling what a crashed stint left: an iteration committed but not logged is
recovered, one half-done is abandoned (its work kept on a ref) and redone."""

from __future__ import annotations

import asyncio
import os

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.harness.config import spec_sha256
from jitskit_tui.protocol.events import (
    BestMoved,
    BranchForked,
    ErrorRaised,
    IterationAbandoned,
    IterationFinished,
    RunResumed,
    RunStarted,
)


async def begin_stint(
    run: RunContext,
    *,
    agent: str,
    agent_options: dict[str, str],
    machine: str,
    naive: bool = False,
    allow_smaller_machine: bool = False,
) -> None:
    """Logs the stint's start (with the agent, its options and the machine, so a resume
    can make them again); on resume, first settles an iteration the last stint left
    half-done (recovered when committed, else abandoned and its work kept on a ref)."""
    if not run.resuming:
        run.emit(
            RunStarted(
                run_id=run.ws.name,
                spec_name=run.spec.name,
                spec_sha256=spec_sha256(run.spec),
                agent=agent,
                agent_options=agent_options,
                machine=machine,
                iterations=run.iterations_budget,
                workspace=str(run.ws.root.resolve()),
                pid=os.getpid(),
                naive=naive,
                allow_smaller_machine=allow_smaller_machine,
            )
        )
        await run.log.sync()
        return
    commits = await asyncio.to_thread(gitrepo.iteration_commits, run.ws)
    running = run.state.running_iteration()
    redo = running.iteration if running and running.iteration not in commits else None
    run.emit(
        RunResumed(
            agent=agent,
            agent_options=agent_options,
            machine=machine,
            iterations=run.iterations_budget,
            completed=run.state.completed,
            redo_iteration=redo,
            pid=os.getpid(),
            naive=naive,
            allow_smaller_machine=allow_smaller_machine,
        )
    )
    if running is not None and running.iteration in commits:
        await _recover_committed(run, running.iteration, commits[running.iteration])
    kept = await asyncio.to_thread(gitrepo.keep_and_reset, run.ws, redo or 0)
    if redo is not None:
        run.emit(
            IterationAbandoned(
                iteration=redo,
                reason="interrupted before it was committed; it is redone from its start",
                kept_ref=kept,
            )
        )
    elif kept is not None:
        run.emit(
            ErrorRaised(
                where="resume",
                message=f"the workspace had uncommitted changes; they are kept at {kept} and "
                "the work tree is back at the last commit",
                next_step=f"`git -C {run.ws.root} show {kept}` shows them",
            )
        )
    head = await asyncio.to_thread(gitrepo.head_sha, run.ws)
    run.move_head(next((n for n, c in commits.items() if c.sha == head), 0))
    await run.log.sync()


async def _recover_committed(run: RunContext, n: int, commit: gitrepo.IterationCommit) -> None:
    """The process died between committing iteration N and logging it as finished: it is
    logged now, and the best moves as its committed decision said (a record from before
    decisions moves it only when there was no best: nothing else is evidence)."""
    record = await run.load_record(n, commit.sha)
    moves = record is not None and (
        record.decision in ("best", "first")
        or (not record.decision and record.counts and run.state.best_iteration is None)
    )
    if record is not None and moves and run.state.best_iteration != n:
        await asyncio.to_thread(gitrepo.move_best, run.ws, commit.sha)
        run.emit(
            BestMoved(
                iteration=n,
                sha=commit.sha,
                throughput_ops_s=record.throughput_ops_s,
                previous_iteration=run.state.best_iteration,
                previous_ops_s=run.state.best_ops_s,
                evidence=record.vs_best,
                reason=f"recovered on resume: its decision was {record.decision or 'first'}",
            )
        )
    branch = await asyncio.to_thread(gitrepo.current_branch, run.ws)
    ratio = record.vs_baseline.ratio if record is not None and record.vs_baseline else None
    run.emit(
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
            is_best=run.state.best_iteration == n,
            recovered=True,
            decision=record.decision if record else "",
            incumbent_iteration=record.incumbent_iteration if record else None,
            vs_best=record.vs_best if record else None,
            vs_baseline=record.vs_baseline if record else None,
            ratio_ci_low=ratio.ci_low if ratio is not None else None,
            ratio_ci_high=ratio.ci_high if ratio is not None else None,
        )
    )


async def fork_branch(run: RunContext, from_iteration: int) -> None:
    """Moves the run onto a new branch from ``from_iteration``'s commit (0: the initial
    commit): the next iteration builds on it."""
    if from_iteration == 0:
        sha = await asyncio.to_thread(gitrepo.initial_sha, run.ws)
    else:
        sha = run.state.iterations[from_iteration].commit
    branch = await asyncio.to_thread(gitrepo.fork, run.ws, sha, from_iteration)
    run.move_head(from_iteration)
    run.emit(BranchForked(from_iteration=from_iteration, branch=branch, sha=sha))
