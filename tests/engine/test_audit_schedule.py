"""When the auditor runs: every `audit_every` iterations, and the last iteration of the
run's budget too (so no run that uses its budget ends with an unaudited best); a user's
stop does not add an audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from enginekit import TINY, TRAJECTORY

from jitskit_tui.agents.scripted import ScriptedAgent, load_trajectory, pace_named
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.protocol.agent import AgentSink, AuditContext, AuditOutcome, Plan, PlanContext
from jitskit_tui.protocol.controls import Stop
from jitskit_tui.protocol.events import AgentTurnFinished, RunFinished
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec


class NoPlans(ScriptedAgent):
    """A planner that fails (so an iteration is an agent error and a commit, no build)
    and an auditor that only says it ran; it can send a stop during an iteration."""

    engine: Engine | None = None
    stop_in: int | None = None

    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        if ctx.brief.iteration == self.stop_in and self.engine is not None:
            self.engine.handle_control(Stop())
        raise RuntimeError("no plan, on purpose")

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        return AuditOutcome(report=f"audited iteration {ctx.brief.iteration}")


def _card(tmp_path: Path, audit_every: int) -> Path:
    text = TINY.read_text()
    assert "audit_every: 1\n" in text
    card = tmp_path / "every.yaml"
    card.write_text(text.replace("audit_every: 1\n", f"audit_every: {audit_every}\n"))
    return card


async def _audited(
    tmp_path: Path, audit_every: int, budget: int, stop_in: int | None = None
) -> tuple[RunFinished, list[int | None]]:
    """Runs a session; how it ended and the iterations the auditor ran in."""
    card = _card(tmp_path, audit_every)
    ws = create_workspace(load_spec(card), card, tmp_path / "run")
    agent = NoPlans(load_trajectory(TRAJECTORY), pace_named("instant"))
    engine = Engine(ws, agent, LocalMachine(), EngineOptions(iterations=budget, seed=7))
    agent.engine, agent.stop_in = engine, stop_in
    finished = await engine.run()
    turns = [e for e in read_events(ws.events) if isinstance(e, AgentTurnFinished)]
    return finished, [e.iteration for e in turns if e.role == "auditor"]


@pytest.mark.parametrize(
    ("audit_every", "budget", "expected"),
    [
        (3, 2, [2]),  # the demo's case: `--iterations 2` on an every-3 card
        (3, 5, [3, 5]),
        (3, 6, [3, 6]),  # the last iteration is on the schedule: audited once
        (1, 2, [1, 2]),
    ],
)
async def test_the_budgets_last_iteration_is_audited(
    tmp_path: Path, audit_every: int, budget: int, expected: list[int]
) -> None:
    finished, audits = await _audited(tmp_path, audit_every, budget)
    assert finished.status == "finished" and finished.completed == budget
    assert audits == expected


async def test_a_stop_does_not_add_an_audit(tmp_path: Path) -> None:
    finished, audits = await _audited(tmp_path, 3, 5, stop_in=1)
    assert finished.status == "stopped" and finished.completed == 1
    assert audits == []
