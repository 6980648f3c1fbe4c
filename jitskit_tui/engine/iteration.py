"""One iteration of the loop: plan, code, evaluate (gates, audit tests, benchmark),
critique, audit when due, commit with trailers, move `best`.

The runner is also the coder's and auditor's :class:`~jitskit_tui.engine.tools.ToolHost`:
tool calls reach the evaluator, the results and the steering queue through it.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import TYPE_CHECKING

from jitskit_tui.engine import gitrepo, whiteboard
from jitskit_tui.engine.audit_step import run_audit_tests, run_auditor
from jitskit_tui.engine.reporting import EvalEvents, EventSink
from jitskit_tui.engine.tools import ToolBox, ToolError
from jitskit_tui.harness.evaluate import EvalRequest, evaluate
from jitskit_tui.protocol.agent import (
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
    BenchResult,
    BestMoved,
    CommitMade,
    ErrorRaised,
    EvalPurpose,
    EvalStarted,
    Event,
    IterationFinished,
    IterationStarted,
    Role,
    SteeringApplied,
)
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.texts import failed_gate_names, machine_text, record_text, result_text
from jitskit_tui.protocol.tools import Steering
from jitskit_tui.sandbox.base import MachineError

if TYPE_CHECKING:
    from jitskit_tui.engine.loop import Engine


class IterationRunner:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        state = engine.state
        self.n = state.next_iteration_number()
        self.parent = engine.head_iteration
        parent_view = state.iterations.get(self.parent)
        self.step = (parent_view.step if parent_view else 0) + 1
        self.branch = state.branch
        self._last_tool_result: EvalResult | None = None

    # -- ToolHost -----------------------------------------------------------------------

    def emit(self, event: Event) -> Event:
        return self.e.emit(event)

    async def checkpoint(self) -> None:
        await self.e.checkpoint()

    @property
    def spec_text(self) -> str:
        return self.e.spec_text

    @property
    def header_text(self) -> str:
        return self.e.header_text

    def take_tool_steering(self, role: Role) -> list[Steering]:
        handed = []
        for pending in self.e.state.pending_steering("next-tool"):
            self.emit(
                SteeringApplied(
                    iteration=self.n, steering_id=pending.id, role=role, delivery="next-tool"
                )
            )
            handed.append(Steering(id=pending.id, text=pending.text))
        return handed

    async def quick_evaluation(self) -> str:
        before = self.e.state.loop_state
        try:
            result = await self.evaluate("tool")
        except MachineError:
            raise
        except Exception as exc:
            raise ToolError(self._evaluation_failed(exc)) from None
        finally:
            self.e.set_state(before)
        self._last_tool_result = result
        return result_text(result, logs=not result.counts)

    async def results_text(self, iteration: int | None) -> str:
        if iteration == self.n:
            if self._last_tool_result is not None:
                return "your last build_and_test:\n" + result_text(
                    self._last_tool_result, logs=True
                )
            return f"iteration {self.n} (this one) has no result yet; build_and_test measures it"
        wanted = iteration if iteration is not None else self.parent
        if wanted == 0:
            return "no iteration has been evaluated yet: this is the first"
        record = await self.e.load_record(wanted)
        if record is None:
            return f"no result for iteration {wanted}"
        return record_text(record)

    # -- the iteration ------------------------------------------------------------------

    def sink(self, role: Role) -> EventSink:
        return EventSink(self.emit, role, self.n)

    def _take_plan_steering(self) -> list[SteeringNote]:
        notes = []
        for pending in self.e.state.pending_steering("next-iteration"):
            self.emit(
                SteeringApplied(
                    iteration=self.n,
                    steering_id=pending.id,
                    role="planner",
                    delivery="next-iteration",
                )
            )
            notes.append(SteeringNote(id=pending.id, text=pending.text, delivery="next-iteration"))
        return notes

    async def run(self) -> None:
        e, n = self.e, self.n
        e.current_iteration = n
        self.branch = await asyncio.to_thread(gitrepo.current_branch, e.ws)
        self.emit(
            IterationStarted(
                iteration=n, parent_iteration=self.parent, step=self.step, branch=self.branch
            )
        )
        record = IterationRecord(
            iteration=n,
            parent_iteration=self.parent,
            step=self.step,
            branch=self.branch,
            summary="",
            outcome="evaluated",
            verdict="fail",
            agent=e.agent.name,
            started=time.time(),
        )
        previous = await e.load_record(self.parent) if self.parent else None
        best_before = e.state.best_iteration
        best = await e.load_record(best_before) if best_before else None
        brief = e.brief(n, self.step, self.parent)

        e.set_state("planning")
        await e.checkpoint()
        notes = self._take_plan_steering()
        board = await asyncio.to_thread(e.ws.whiteboard.read_text)
        parent_view = e.state.iterations.get(self.parent)
        plan_ctx = PlanContext(
            brief=brief,
            whiteboard=board,
            last_critique=(parent_view.critique or None) if parent_view else None,
            previous=previous,
            best=best,
            steering=notes,
        )
        planned = await e.turn(
            "planner", n, e.agent.plan(plan_ctx, self.sink("planner")), _describe_plan
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
                e.ws.whiteboard,
                n,
                plan.title,
                plan.text,
                [s.text for s in notes],
            )
            critique_text = await self._code_and_measure(plan, brief, previous, best, record)
        await self._record_on_whiteboard(record, critique_text)
        if e.take_audit_request() or self._audit_due():
            await run_auditor(self, brief, record)
        await self._commit(record)

    def _audit_due(self) -> bool:
        """Every `audit_every` iterations, and the last iteration of the run's budget too,
        so no run that uses its budget ends with an unaudited best. (A user stop or a cost
        cap does not add one: that stint ends early on purpose.)"""
        e = self.e
        last_of_budget = e.state.completed + 1 >= e.budget
        return self.n % e.spec.loop.audit_every == 0 or last_of_budget

    async def _code_and_measure(
        self,
        plan: Plan,
        brief: Brief,
        previous: IterationRecord | None,
        best: IterationRecord | None,
        record: IterationRecord,
    ) -> str:
        """Coder, evaluation and critic; returns the critique (empty when it failed)."""
        e, n = self.e, self.n
        e.set_state("coding")
        await e.checkpoint()
        tools = ToolBox(e.ws, "coder", self, n)
        coded = await e.turn(
            "coder",
            n,
            e.agent.code(CodeContext(brief, plan, previous), tools, self.sink("coder")),
            _describe_code,
        )
        outcome, error = coded.value, coded.error
        if outcome is None:
            record.outcome, record.error = "agent-error", f"coder: {error}"
            record.summary = plan.title
            return ""
        record.summary = outcome.summary or tools.finished or plan.title

        try:
            result = await self.evaluate("iteration")
            result = await run_audit_tests(self, result)
        except MachineError:
            raise
        except Exception as exc:
            record.outcome, record.error = "eval-error", self._evaluation_failed(exc)
            return ""
        self._fill(record, result)

        e.set_state("critiquing")
        await e.checkpoint()
        diff = await asyncio.to_thread(gitrepo.worktree_diff, e.ws, "store")
        critique_ctx = CritiqueContext(
            brief=brief, plan=plan, record=record, previous=previous, best=best, diff=diff
        )
        critiqued = await e.turn(
            "critic", n, e.agent.critique(critique_ctx, self.sink("critic")), _describe_critique
        )
        return critiqued.value.text if critiqued.value is not None else ""

    def _fill(self, record: IterationRecord, result: EvalResult) -> None:
        e = self.e
        record.result = result
        record.verdict = result.verdict
        record.throughput_ops_s = result.throughput_ops_s
        record.failed_gates = failed_gate_names(result)
        if e.baseline is not None and result.throughput_ops_s > 0:
            record.baseline, record.baseline_ops_s = e.baseline
            record.ratio = result.throughput_ops_s / e.baseline[1]
        self.emit(
            BenchResult(
                iteration=self.n,
                purpose="iteration",
                verdict=result.verdict,
                throughput_ops_s=result.throughput_ops_s,
                ratio=record.ratio,
                baseline=record.baseline,
                baseline_ops_s=record.baseline_ops_s,
                failed_gates=record.failed_gates,
                ops=result.ops,
                memory_peak_bytes=result.memory_peak_bytes,
                memory_budget_bytes=result.memory_budget_bytes,
                machine=machine_text(result),
                warnings=result.warnings,
            )
        )

    async def evaluate(self, purpose: EvalPurpose) -> EvalResult:
        e = self.e
        self.emit(
            EvalStarted(
                iteration=self.n, purpose=purpose, size=e.options.size, machine=e.machine.label
            )
        )
        observer = EvalEvents(self.emit, e.set_state, purpose, self.n)
        request = EvalRequest(
            spec=e.spec,
            store_dir=e.ws.store,
            size=e.options.size,
            run_id=e.ws.name,
            iteration=self.n,
            seed=e.options.seed,
        )
        result = await evaluate(request, e.machine, observer)
        await asyncio.to_thread(self._save_logs, purpose, result)
        return result

    def _evaluation_failed(self, exc: Exception) -> str:
        """Logs an evaluator failure (a bug, not the store's) and says where the details are."""
        log = self.e.ws.logs / f"iteration-{self.n}" / "evaluator-error.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(traceback.format_exception(exc)))
        message = f"the evaluation itself failed: {exc!r} (details in {log})"
        self.emit(
            ErrorRaised(
                iteration=self.n,
                where=f"iteration {self.n}: evaluation",
                message=message,
                next_step="recorded as this iteration's outcome; the loop goes on",
            )
        )
        return message

    def _save_logs(self, purpose: EvalPurpose, result: EvalResult) -> None:
        folder = self.e.ws.logs / f"iteration-{self.n}"
        folder.mkdir(parents=True, exist_ok=True)
        for step, text in result.logs.items():
            (folder / f"{purpose}-{step}.log").write_text(text)

    async def _record_on_whiteboard(self, record: IterationRecord, critique: str) -> None:
        path = self.e.ws.whiteboard
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

    async def _commit(self, record: IterationRecord) -> None:
        e, n = self.e, self.n
        e.set_state("committing")
        record.finished = time.time()
        if not record.summary:
            record.summary = record.plan_title or "no change"
        await asyncio.to_thread(
            e.ws.result_file(n).write_text, record.model_dump_json(indent=2) + "\n"
        )
        trailers = gitrepo.Trailers(
            iteration=n,
            verdict=record.verdict,
            throughput_ops_s=record.throughput_ops_s,
            ratio=record.ratio,
            failed_gates=record.failed_gates,
            outcome=record.outcome,
        )
        body = f"Plan: {record.plan_title}" if record.plan_title else ""
        sha = await asyncio.to_thread(
            gitrepo.commit_iteration,
            e.ws,
            record.summary,
            body,
            trailers,
            f"jitskit {e.agent.name}",
        )
        e.records[n] = record
        self.emit(
            CommitMade(
                iteration=n,
                sha=sha,
                branch=self.branch,
                message=f"iteration {n}: {gitrepo.one_line(record.summary)}",
            )
        )
        previous_best, previous_ops = e.state.best_iteration, e.state.best_ops_s
        is_best = record.counts and (previous_ops is None or record.throughput_ops_s > previous_ops)
        if is_best:
            await asyncio.to_thread(gitrepo.move_best, e.ws, sha)
            self.emit(
                BestMoved(
                    iteration=n,
                    sha=sha,
                    throughput_ops_s=record.throughput_ops_s,
                    previous_iteration=previous_best,
                    previous_ops_s=previous_ops,
                )
            )
        e.head_iteration = n
        self.emit(
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
                is_best=is_best,
            )
        )
        await e.log.sync()
        e.current_iteration = None


def _describe_plan(plan: Plan) -> tuple[str, str]:
    return plan.text, plan.title


def _describe_code(outcome: CodeOutcome) -> tuple[str, str]:
    return outcome.summary, outcome.summary


def _describe_critique(critique: Critique) -> tuple[str, str]:
    return critique.text, ""
