"""The naive experiment (`jitskit run SPEC --agent claude-code --naive`): the paper's
baseline, a single agent session with the spec card, the store contract and a benchmark
tool that reports throughput only; no planner, critic, auditor or gates in the loop.

Each call of the benchmark tool ends an iteration: the store is evaluated as every
iteration is (gates, audit-free, and the benchmark), committed with the result, and the
agent is told the throughput alone. So the record of each iteration holds what the agent
believed (`claimed_ops_s`) beside what the gates found, and the dashboard and `jitskit
show` put the two side by side. The next iteration starts at once, while the budget
lasts; the session ends when the runs are used up, a cap is reached, the user stops the
run, or the agent stops on its own (its last, unbenchmarked change is then judged too).
"""

from __future__ import annotations

import asyncio

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.evaluation import Bench, evaluate_store, evaluation_failed
from jitskit_tui.engine.iteration import IterationRunner
from jitskit_tui.engine.reporting import EventSink
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.engine.tool_host import IterationToolHost
from jitskit_tui.engine.tools import ToolBox, ToolError
from jitskit_tui.protocol.agent import Agent, AgentFatalError, NaiveContext
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    AgentTurnStarted,
    ErrorRaised,
    IterationAbandoned,
)
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.texts import ops_s
from jitskit_tui.sandbox.base import MachineError

LOG_CHARS = 6000


class NaiveSession:
    """The stint's one session of the naive agent, iteration after iteration."""

    def __init__(self, run: RunContext, agent: Agent, bench: Bench) -> None:
        self.run = run
        self.agent = agent
        self.bench = bench
        self.runs = 0
        self._step: IterationRunner | None = None
        self._record: IterationRecord | None = None
        self._tools: ToolBox | None = None
        self._sink: EventSink | None = None
        self._host: _NaiveHost | None = None

    def runs_left(self) -> int:
        return max(0, self.run.iterations_budget - self.run.state.completed)

    async def run_session(self) -> str:
        """Runs the session to its end; says how it ended."""
        run = self.run
        resumed = run.state.completed > 0
        step = await self._begin()
        self._host = _NaiveHost(self, step)
        self._tools = ToolBox(run.ws, "coder", self._host, step.n, naive=True)
        self._sink = run.sink("coder", step.n)
        ctx = NaiveContext(brief=step.brief(), runs_left=self.runs_left(), resumed=resumed)
        try:
            words = await self.agent.naive(ctx, self._tools, self._sink)
        except (asyncio.CancelledError, AgentFatalError, MachineError):
            self._turn_finished(ok=False, error="cancelled")
            raise
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            await self._close_open(words="", error=message)
            return f"the naive agent failed after {self.runs} benchmark runs: {message}"
        await self._close_open(words=words, error="")
        return f"the naive agent ended its session after {self.runs} benchmark runs"

    # -- iterations ------------------------------------------------------------------------

    async def _begin(self) -> IterationRunner:
        run = self.run
        run.set_state("coding")
        step = IterationRunner(run, self.agent, self.bench)
        self._record = await step.begin()
        self._step = step
        # The session goes on: its tools, words and steering belong to the new iteration.
        if self._tools is not None and self._sink is not None and self._host is not None:
            self._tools.iteration = self._sink.iteration = self._host.n = step.n
            self._host.parent = step.parent
        run.emit(AgentTurnStarted(iteration=step.n, role="coder", agent=self.agent.name))
        return step

    def _turn_finished(self, *, ok: bool, title: str = "", error: str = "") -> None:
        step = self._step
        if step is not None:
            self.run.emit(
                AgentTurnFinished(
                    iteration=step.n, role="coder", ok=ok, title=title, output=title, error=error
                )
            )

    async def benchmark(self) -> tuple[str, bool]:
        """The benchmark tool: ends this iteration and (while runs are left) starts the
        next; the agent hears only the throughput (or why there is none)."""
        step, record = self._step, self._record
        assert step is not None and record is not None
        run = self.run
        try:
            result = await evaluate_store(run, self.bench, step.n, "iteration")
        except MachineError:
            raise
        except Exception as exc:
            raise ToolError(evaluation_failed(run, step.n, exc)) from None
        self.runs += 1
        step.fill(record, result)
        measured = result.throughput_ops_s > 0
        record.claimed_ops_s = result.throughput_ops_s if measured else None
        belief = f"believed {ops_s(result.throughput_ops_s)}" if measured else "no figure"
        record.summary = f"naive run {self.runs}: {belief}"
        self._turn_finished(ok=True, title=record.summary)
        await step.commit(record)
        self._step = self._record = None
        last = self.runs_left() == 0 or run.stopping or run.budget.exhausted() is not None
        if not last:
            await self._begin()
        return throughput_report(result, self.runs_left(), last), last

    async def _close_open(self, *, words: str, error: str) -> None:
        """Ends the iteration the session left open: judged when `store/` changed since
        the last run (or the agent failed), else dropped."""
        step, record = self._step, self._record
        if step is None or record is None:
            return
        run = self.run
        if error:
            record.outcome, record.error = "agent-error", f"naive agent: {error}"
            record.summary = "the naive agent failed"
            self._turn_finished(ok=False, error=error)
            run.emit(
                ErrorRaised(
                    iteration=step.n,
                    where=f"iteration {step.n}: naive agent",
                    message=f"the naive agent failed: {error}",
                    next_step="recorded as this iteration's outcome",
                )
            )
            await step.commit(record)
            return
        changed = await asyncio.to_thread(gitrepo.worktree_diff, run.ws, "store")
        if not changed.strip():
            self._turn_finished(ok=True, title="(ended without another change)")
            run.emit(
                IterationAbandoned(
                    iteration=step.n,
                    reason="the naive agent ended its session without changing store/ again",
                )
            )
            run.finish_iteration()
            return
        try:
            result = await evaluate_store(run, self.bench, step.n, "iteration")
        except MachineError:
            raise
        except Exception as exc:
            record.outcome, record.error = "eval-error", evaluation_failed(run, step.n, exc)
        else:
            step.fill(record, result)
        first = next((ln.strip() for ln in words.splitlines() if ln.strip()), "")
        record.summary = "naive: last change, not benchmarked by the agent" + (
            f": {first[:120]}" if first else ""
        )
        self._turn_finished(ok=True, title=record.summary)
        await step.commit(record)


class _NaiveHost(IterationToolHost):
    """The naive agent's tools' view: the loop's, plus the benchmark that ends an
    iteration, without build_and_test or earlier results."""

    def __init__(self, session: NaiveSession, step: IterationRunner) -> None:
        super().__init__(session.run, session.bench, step.n, step.parent)
        self.session = session

    async def benchmark(self) -> tuple[str, bool]:
        return await self.session.benchmark()

    async def quick_evaluation(self) -> str:
        raise ToolError("the naive experiment has the benchmark tool instead")


def throughput_report(result: EvalResult, runs_left: int, last: bool) -> str:
    """What the naive agent's benchmark tells it: the throughput, or why there is none
    (the build failed, the benchmark crashed); never the correctness gates."""
    build = next((g for g in result.gates if g.name == "build"), None)
    if build is not None and not build.passed:
        log = result.logs.get("build", "")[-LOG_CHARS:]
        said = f"the store does not build: {build.detail}\n{log}".strip()
    elif result.throughput_ops_s > 0:
        said = f"throughput: {result.throughput_ops_s:,.0f} ops/s"
    else:
        bench = next((g for g in result.gates if g.name == "benchmark"), None)
        why = bench.detail if bench is not None and bench.detail else "it produced no figure"
        said = f"the benchmark did not complete: {why}"
    if last:
        return f"{said}\n\nThat was the experiment's last benchmark run: stop here."
    return f"{said}\n\n{runs_left} benchmark runs left."
