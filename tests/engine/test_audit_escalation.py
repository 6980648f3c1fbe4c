"""The audit suite grows and hardens: a `log` finding that persists for two iterations in a
row is escalated to a gate, and from then on it stops the iteration from counting; the
escalated test is run on the best too, and a best that fails it is a best no more."""

from __future__ import annotations

from pathlib import Path

import pytest
from enginekit import HERE, new_workspace

from jitskit_tui.agents.scripted import ScriptedAgent, load_trajectory, pace_named
from jitskit_tui.engine.audit_suite import load_suite
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.protocol.events import (
    AuditTestEscalated,
    BestFellBack,
    GateResulted,
    IterationFinished,
)
from jitskit_tui.sandbox.local import LocalMachine

pytestmark = pytest.mark.slow


async def test_a_persisting_log_finding_becomes_a_gate(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    agent = ScriptedAgent(load_trajectory(HERE / "escalation"), pace_named("instant"))
    finished = await Engine(ws, agent, LocalMachine(), EngineOptions(iterations=3, seed=7)).run()
    assert finished.completed == 3
    events = read_events(ws.events)
    audit = [
        (e.iteration, e.passed, e.severity)
        for e in events
        if isinstance(e, GateResulted) and e.name == "audit/scan-refused"
    ]
    assert audit == [(2, False, "log"), (3, False, "gate")]
    escalated = [e for e in events if isinstance(e, AuditTestEscalated)]
    assert [(e.iteration, e.test_id) for e in escalated] == [(3, "scan-refused")]
    verdicts = [(e.iteration, e.verdict) for e in events if isinstance(e, IterationFinished)]
    assert verdicts == [(1, "pass"), (2, "pass"), (3, "fail")]
    third = next(e for e in events if isinstance(e, IterationFinished) and e.iteration == 3)
    assert third.failed_gates == ["audit/scan-refused"] and not third.is_best
    test = load_suite(ws.audit).get("scan-refused")
    assert test is not None and test.severity == "gate" and test.escalated_in == 3
    # Every iteration is the same store: the best fails the escalated test as well, and
    # no earlier best passes it, so the run is left without a best.
    (back,) = [e for e in events if isinstance(e, BestFellBack)]
    assert back.iteration == 3 and back.to_iteration is None
    assert back.reason.startswith("audit/scan-refused failed on the best")
    assert finished.best_iteration is None
