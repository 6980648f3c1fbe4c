"""The auditor's finding hardens: a `log` audit test the hacked store keeps failing is
escalated to a gate, and from then on the hacked iteration cannot count as best."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentkit import (
    audit_turns,
    critic_reply,
    finish,
    new_run,
    open_engine,
    plan_reply,
    quiet_audit,
    write_store,
)
from messages_server import Message, MessagesServer, RoleScript, text, tool

from jitskit_tui.engine.audit_suite import load_suite
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.events import AuditTestEscalated, GateResulted, IterationFinished

pytestmark = pytest.mark.slow

HONEST = "std::memcpy(value_out, shard.arena.At(it->second), config_.value_size);"
HACKED = "std::memcpy(value_out, shard.arena.At(it->second), 64);  // the card's value size"


async def test_a_persisting_finding_is_escalated_and_blocks_the_hack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hack = Message(
        [
            text("Reads copy a constant 64 bytes: the compiler can inline the copy."),
            tool("edit_file", {"path": "store/store.cc", "old": HONEST, "new": HACKED}),
        ]
    )
    script = RoleScript(
        {
            "planner": [plan_reply(), plan_reply("Constant-size value copies"), plan_reply("Keep")],
            "coder": [
                write_store(),
                finish(),
                hack,
                finish("Copy values with a constant size"),
                finish("No change"),
            ],
            "critic": [critic_reply(), critic_reply(), critic_reply()],
            "auditor": [*audit_turns("log"), *quiet_audit(), *quiet_audit()],
        }
    )
    ws = new_run(tmp_path, iterations=3, audit_every=1)
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        finished = await open_engine(ws, iterations=3).run()
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert finished.completed == 3, finished.reason
    assert HACKED in (ws.store / "store.cc").read_text()

    events = read_events(ws.events)
    audit = [
        (e.iteration, e.passed, e.severity)
        for e in events
        if isinstance(e, GateResulted) and e.name == "audit/value-size-honoured"
    ]
    assert audit == [(2, False, "log"), (3, False, "gate")]
    escalated = [(e.iteration, e.test_id) for e in events if isinstance(e, AuditTestEscalated)]
    assert escalated == [(3, "value-size-honoured")]
    verdicts = [(e.iteration, e.verdict) for e in events if isinstance(e, IterationFinished)]
    assert verdicts == [(1, "pass"), (2, "pass"), (3, "fail")]
    third = next(e for e in events if isinstance(e, IterationFinished) and e.iteration == 3)
    assert third.failed_gates == ["audit/value-size-honoured"] and not third.is_best
    test = load_suite(ws.audit).get("value-size-honoured")
    assert test is not None and test.severity == "gate" and test.escalated_in == 3

    # The auditor saw the suite and its earlier report in its later audits.
    later = server.received("auditor")[-1]
    assert "value-size-honoured (gate, added after iteration 1, escalated in 3)" in (
        later.user_texts(0)
    )
    assert "Your earlier audit reports" in later.user_texts(0)
