"""An iteration needs only the run's context, an agent and where to evaluate: no Engine.
A planner that fails is the iteration's outcome; it is committed, and the run's head and
current iteration move as the loop relies on."""

from __future__ import annotations

from pathlib import Path

import git
from enginekit import new_workspace

from jitskit_tui.engine.evaluation import Bench
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_trailers
from jitskit_tui.engine.iteration import IterationRunner
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.protocol.agent import (
    Agent,
    AgentSink,
    AuditContext,
    AuditOutcome,
    CodeContext,
    CodeOutcome,
    Critique,
    CritiqueContext,
    Plan,
    PlanContext,
)
from jitskit_tui.protocol.events import AgentTurnFinished, IterationFinished, IterationStarted
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.sandbox.local import LocalMachine


class Clueless(Agent):
    """Fails every turn, as a model with a bad day would."""

    name = "clueless"

    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        raise RuntimeError("no idea what to build")

    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        raise AssertionError("the coder never runs without a plan")

    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        raise AssertionError("nothing to critique")

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        raise RuntimeError("no idea what to audit either")


async def test_a_failed_plan_is_committed_as_the_iteration_on_a_bare_run_context(
    tmp_path: Path,
) -> None:
    ws = new_workspace(tmp_path)
    run = RunContext.open(ws, iterations=3)
    try:
        runner = IterationRunner(run, Clueless(), Bench(LocalMachine()))
        assert (runner.n, runner.parent, runner.step) == (1, 0, 1)
        await runner.run_iteration()
    finally:
        run.log.close()
    assert run.current_iteration is None and run.head_iteration == 1
    events = read_events(ws.events)
    assert [type(e) for e in events if isinstance(e, IterationStarted | IterationFinished)] == [
        IterationStarted,
        IterationFinished,
    ]
    finished = next(e for e in events if isinstance(e, IterationFinished))
    assert (finished.outcome, finished.summary) == ("agent-error", "the planner failed")
    planner = next(e for e in events if isinstance(e, AgentTurnFinished))
    assert not planner.ok and "no idea what to build" in planner.error
    head = git.Repo(ws.root).commit("main")
    assert parse_trailers(str(head.message))["Jitskit-Outcome"] == "agent-error"
    assert run.state.completed == 1
