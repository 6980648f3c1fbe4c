"""One iteration of the loop: plan, code, evaluate (gates, audit tests, benchmark),
critique, audit when due, commit with trailers, move `best`.

The runner needs the run (its :class:`~jitskit_tui.engine.run_context.RunContext`), the
agent and where to evaluate; the coder's and the auditor's tools reach the loop through
its :class:`~jitskit_tui.engine.tool_host.IterationToolHost`.
"""

from __future__ import annotations

import asyncio
import time

from jitskit_tui.engine import gitrepo, whiteboard
from jitskit_tui.engine.audit_step import run_audit_tests, run_auditor
from jitskit_tui.engine.decisions import (
    Judgement,
    baseline_comparison,
    incumbent_comparison,
    judge,
)
from jitskit_tui.engine.evaluation import Bench, evaluate_store, evaluation_failed
from jitskit_tui.engine.fallback import recheck_best
from jitskit_tui.engine.pairing import iteration_pairing
from jitskit_tui.engine.reporting import bench_result
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.engine.tool_host import IterationToolHost
from jitskit_tui.engine.tools import ToolBox
from jitskit_tui.engine.turns import take_turn
from jitskit_tui.protocol.agent import (
    Agent,
    Brief,
    CodeContext,
    CodeOutcome,
    Critique,
    CritiqueContext,
    Plan,
    PlanContext,
    SteeringNote,
)
from jitskit_tui.protocol.events import (
    BestMoved,
    CommitMade,
    ErrorRaised,
    IterationFinished,
    IterationStarted,
)
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.texts import failed_gate_names, one_line, side_name
from jitskit_tui.sandbox.base import MachineError


class IterationRunner:
    """Runs the next iteration of ``run`` with ``agent``, evaluating on ``bench``."""

    def __init__(self, run: RunContext, agent: Agent, bench: Bench) -> None:
        self.run = run
        self.agent = agent
        self.bench = bench
        state = run.state
        self.n = state.next_iteration_number()
        self.parent = run.head_iteration
        parent_view = state.iterations.get(self.parent)
        self.step = (parent_view.step if parent_view else 0) + 1
        self.branch = state.branch
        self.tool_host = IterationToolHost(run, bench, self.n, self.parent)
        """What the coder's and the auditor's tools reach."""
        self.incumbent: int | None = None
        """The best measured beside this iteration's candidate, once it is evaluated."""

    def brief(self) -> Brief:
        run = self.run
        return Brief(
            spec=run.spec,
            spec_text=run.spec_text,
            header=run.header_text,
            workspace=run.ws.root,
            iteration=self.n,
            step=self.step,
            parent_iteration=self.parent,
            iterations_budget=run.iterations_budget,
            machine=self.bench.machine.label,
        )

    def _take_plan_steering(self) -> list[SteeringNote]:
        handed = self.run.hand_over_steering("next-iteration", "planner", self.n)
        return [SteeringNote(id=s.id, text=s.text, delivery="next-iteration") for s in handed]

    async def begin(self) -> IterationRecord:
        """Starts the iteration (logged); its record, filled as it goes."""
        run, n = self.run, self.n
        run.begin_iteration(n)
        self.branch = await asyncio.to_thread(gitrepo.current_branch, run.ws)
        run.emit(
            IterationStarted(
                iteration=n, parent_iteration=self.parent, step=self.step, branch=self.branch
            )
        )
        return IterationRecord(
            iteration=n,
            parent_iteration=self.parent,
            step=self.step,
            branch=self.branch,
            summary="",
            outcome="evaluated",
            verdict="fail",
            agent=self.agent.name,
            started=time.time(),
        )

    async def run_iteration(self) -> None:
        run, agent, n = self.run, self.agent, self.n
        record = await self.begin()
        previous = await run.load_record(self.parent) if self.parent else None
        best_before = run.state.best_iteration
        best = await run.load_record(best_before) if best_before else None
        brief = self.brief()

        run.set_state("planning")
        await run.checkpoint()
        notes = self._take_plan_steering()
        board = await asyncio.to_thread(run.ws.whiteboard.read_text)
        parent_view = run.state.iterations.get(self.parent)
        plan_ctx = PlanContext(
            brief=brief,
            whiteboard=board,
            last_critique=(parent_view.critique or None) if parent_view else None,
            previous=previous,
            best=best,
            steering=notes,
        )
        planned = await take_turn(
            run,
            agent.name,
            "planner",
            n,
            agent.plan(plan_ctx, run.sink("planner", n)),
            _describe_plan,
        )
        plan, error = planned.value, planned.error
        critique_text = ""
        if plan is None:
            record.outcome = "agent-error"
            record.error = f"planner: {error}"
            record.summary = "the planner failed"
        else:
            record.plan_title = plan.title
            await asyncio.to_thread(
                whiteboard.add_plan,
                run.ws.whiteboard,
                n,
                plan.title,
                plan.text,
                [s.text for s in notes],
            )
            critique_text = await self._code_and_measure(plan, brief, previous, best, record)
        await self._record_on_whiteboard(record, critique_text)
        if run.take_audit_request() or self._audit_due():
            await run_auditor(run, agent, self.tool_host, brief, record)
        await self.commit(record)

    def _audit_due(self) -> bool:
        """Every `audit_every` iterations, and the last iteration of the run's budget too,
        so no run that uses its budget ends with an unaudited best. (A user stop or a cost
        cap does not add one: that stint ends early on purpose.)"""
        run = self.run
        last_of_budget = run.state.completed + 1 >= run.iterations_budget
        return self.n % run.spec.loop.audit_every == 0 or last_of_budget

    async def _code_and_measure(
        self,
        plan: Plan,
        brief: Brief,
        previous: IterationRecord | None,
        best: IterationRecord | None,
        record: IterationRecord,
    ) -> str:
        """Coder, evaluation and critic; returns the critique (empty when it failed)."""
        run, agent, n = self.run, self.agent, self.n
        run.set_state("coding")
        await run.checkpoint()
        tools = ToolBox(run.ws, "coder", self.tool_host, n)
        coded = await take_turn(
            run,
            agent.name,
            "coder",
            n,
            agent.code(CodeContext(brief, plan, previous), tools, run.sink("coder", n)),
            _describe_code,
        )
        outcome, error = coded.value, coded.error
        if outcome is None:
            record.outcome, record.error = "agent-error", f"coder: {error}"
            record.summary = plan.title
            return ""
        record.summary = outcome.summary or tools.finished or plan.title

        try:
            result = await self._evaluate()
            result = await run_audit_tests(run, self.bench.machine, n, self.parent, result)
        except MachineError:
            raise
        except Exception as exc:
            record.outcome, record.error = "eval-error", evaluation_failed(run, n, exc)
            return ""
        self.fill(record, result)

        run.set_state("critiquing")
        await run.checkpoint()
        diff = await asyncio.to_thread(gitrepo.worktree_diff, run.ws, "store")
        critique_ctx = CritiqueContext(
            brief=brief, plan=plan, record=record, previous=previous, best=best, diff=diff
        )
        critiqued = await take_turn(
            run,
            agent.name,
            "critic",
            n,
            agent.critique(critique_ctx, run.sink("critic", n)),
            _describe_critique,
        )
        return critiqued.value.text if critiqued.value is not None else ""

    async def _evaluate(self) -> EvalResult:
        """The candidate measured paired: beside the run's best (when one counts) and the
        baselines the run pairs against, in one evaluation."""
        run = self.run
        best = run.state.best_iteration
        view = run.state.iterations.get(best) if best is not None else None
        incumbent = (view.iteration, view.commit) if view is not None and view.commit else None
        async with iteration_pairing(
            run.ws, incumbent, run.state.baseline_paired, run.spec.loop.min_effect
        ) as pairing:
            self.incumbent = pairing.incumbent
            return await evaluate_store(run, self.bench, self.n, "iteration", peers=pairing.peers)

    def fill(self, record: IterationRecord, result: EvalResult) -> None:
        """The evaluation's verdict, figures, comparisons and decision in the record (and
        a `bench_result`)."""
        record.result = result
        record.verdict = result.verdict
        record.throughput_ops_s = result.throughput_ops_s
        record.failed_gates = failed_gate_names(result)
        record.incumbent_iteration = self.incumbent
        record.vs_best = incumbent_comparison(result) if self.incumbent is not None else None
        # Decided now, so the critic reads it; the commit takes the same judgement.
        record.decision = self._judge(record).decision
        found = baseline_comparison(result, self.run.baseline)
        if found is not None:
            record.vs_baseline, record.baseline_ops_s = found
            record.baseline = side_name(record.vs_baseline.other)
            record.ratio = record.vs_baseline.ratio.point
        self.run.emit(
            bench_result(
                result,
                "iteration",
                self.n,
                baseline=record.baseline,
                ratio=record.ratio,
                baseline_ops_s=record.baseline_ops_s,
            )
        )

    async def _record_on_whiteboard(self, record: IterationRecord, critique: str) -> None:
        path = self.run.ws.whiteboard
        if record.outcome == "evaluated":
            await asyncio.to_thread(whiteboard.add_result, path, record, critique)
        else:
            if not record.plan_title:
                await asyncio.to_thread(
                    whiteboard.add_note, path, f"## Iteration {self.n}: no plan"
                )
            what = "agent error" if record.outcome == "agent-error" else "evaluation error"
            await asyncio.to_thread(
                whiteboard.add_note, path, f"**Result**: {what}: {record.error}"
            )

    async def commit(self, record: IterationRecord) -> None:
        """Commits the iteration with its record and trailers, moves `best`, logs it."""
        run, n = self.run, self.n
        run.set_state("committing")
        record.finished = time.time()
        if not record.summary:
            record.summary = record.plan_title or "no change"
        judgement = self._judge(record)
        record.decision = judgement.decision
        await asyncio.to_thread(
            run.ws.result_file(n).write_text, record.model_dump_json(indent=2) + "\n"
        )
        trailers = gitrepo.Trailers(
            iteration=n,
            verdict=record.verdict,
            throughput_ops_s=record.throughput_ops_s,
            ratio=record.ratio,
            failed_gates=record.failed_gates,
            outcome=record.outcome,
            smaller_machine=record.result.smaller_machine if record.result else "",
            vs_baseline=record.vs_baseline,
            decision=record.decision,
        )
        body = f"Plan: {record.plan_title}" if record.plan_title else ""
        sha = await asyncio.to_thread(
            gitrepo.commit_iteration,
            run.ws,
            record.summary,
            body,
            trailers,
            f"jitskit {self.agent.name}",
        )
        run.remember(record)
        run.emit(
            CommitMade(
                iteration=n,
                sha=sha,
                branch=self.branch,
                message=f"iteration {n}: {one_line(record.summary)}",
            )
        )
        previous_best, previous_ops = run.state.best_iteration, run.state.best_ops_s
        if judgement.moves_best:
            await asyncio.to_thread(gitrepo.move_best, run.ws, sha)
            run.emit(
                BestMoved(
                    iteration=n,
                    sha=sha,
                    throughput_ops_s=record.throughput_ops_s,
                    previous_iteration=previous_best,
                    previous_ops_s=previous_ops,
                    evidence=judgement.vs_best,
                    reason=judgement.reason,
                )
            )
        await self._recheck_best()
        run.move_head(n)
        ratio = record.vs_baseline.ratio if record.vs_baseline is not None else None
        run.emit(
            IterationFinished(
                iteration=n,
                outcome=record.outcome,
                summary=record.summary,
                verdict=record.verdict,
                throughput_ops_s=record.throughput_ops_s,
                ratio=record.ratio,
                failed_gates=record.failed_gates,
                commit=sha,
                branch=self.branch,
                parent_iteration=self.parent,
                is_best=run.state.best_iteration == n,
                claimed_ops_s=record.claimed_ops_s,
                decision=record.decision,
                incumbent_iteration=record.incumbent_iteration,
                vs_best=record.vs_best,
                vs_baseline=record.vs_baseline,
                ratio_ci_low=ratio.ci_low if ratio is not None else None,
                ratio_ci_high=ratio.ci_high if ratio is not None else None,
            )
        )
        await run.log.sync()
        run.finish_iteration()

    def _judge(self, record: IterationRecord) -> Judgement:
        return judge(record.result, record.counts, self.incumbent, self.run.spec.loop.min_effect)

    async def _recheck_best(self) -> None:
        """The tests that became gates in this iteration, run on the best: it falls back
        when one fails it. A failure of the check itself is reported, never fatal: the
        iteration is committed already."""
        try:
            await recheck_best(self.run, self.bench.machine, self.n)
        except MachineError:
            raise
        except Exception as exc:
            self.run.emit(
                ErrorRaised(
                    iteration=self.n,
                    where=f"iteration {self.n}: audit tests on the best",
                    message=f"running them failed: {exc!r}",
                    next_step="the best stays, unchecked against them; later candidates run them",
                )
            )


def _describe_plan(plan: Plan) -> tuple[str, str]:
    return plan.text, plan.title


def _describe_code(outcome: CodeOutcome) -> tuple[str, str]:
    return outcome.summary, outcome.summary


def _describe_critique(critique: Critique) -> tuple[str, str]:
    return critique.text, ""
