"""Faults over a real HTTP connection: rate limits (honouring `retry-after`), overload,
server errors and dropped connections are retried, each retry an event; 401, 403 and 404
stop the run with a message that says what to fix; abort cancels the request in flight."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from agentkit import (
    PLANNER_MODEL,
    critic_reply,
    finish,
    new_run,
    open_engine,
    plan_reply,
    quiet_audit,
    wait_until,
)
from messages_server import Error, Message, MessagesServer, RoleScript, text

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.controls import Abort
from jitskit_tui.protocol.events import (
    AgentText,
    AgentTurnFinished,
    ErrorRaised,
    RetryScheduled,
    RunFinished,
)

pytestmark = pytest.mark.slow


async def test_rate_limit_then_success_honours_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = RoleScript(
        {
            "planner": [
                Error(429, "rate limited", headers={"retry-after": "1"}),
                Error(529, "overloaded"),
                Error(500, "internal"),
                Message(
                    [text("TITLE: cut short\n\nThis reply is dropped half-way.")], drop_after=5
                ),
                Message([text("TITLE: overloaded\n\nThe server gives up mid-way.")], error_after=4),
                plan_reply(),
            ],
            "coder": [finish("nothing yet")],
            "critic": [critic_reply()],
            "auditor": quiet_audit(),  # the budget's last iteration is audited
        }
    )
    ws = new_run(tmp_path)
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        finished = await open_engine(ws, iterations=1).run()
    assert server.errors == [] and script.left() == {}
    assert finished.status == "finished" and finished.completed == 1, finished.reason
    planner = server.received("planner")
    assert len(planner) == 6
    assert planner[1].at - planner[0].at >= 1.0  # retry-after: 1 was honoured
    retries = [e for e in read_events(ws.events) if isinstance(e, RetryScheduled)]
    assert [e.attempt for e in retries] == [1, 2, 3, 4, 5]
    assert retries[0].delay_s >= 1.0 and "rate limited" in retries[0].reason
    assert "529" in retries[1].reason and "500" in retries[2].reason
    assert "dropped" in retries[3].reason or "cut short" in retries[3].reason
    assert "overloaded_error mid-stream" in retries[4].reason
    assert all(e.where == "iteration 1: planner" for e in retries)
    turn = next(e for e in read_events(ws.events) if isinstance(e, AgentTurnFinished))
    assert turn.ok and turn.title == "Reference store, sharded ordered maps"


@pytest.mark.parametrize(
    ("status", "said", "next_step"),
    [
        (401, "refused the key", "ANTHROPIC_API_KEY"),
        (403, f"may not use {PLANNER_MODEL}", "loop.models.planner"),
        (404, "is unknown to the API", "loop.models.planner"),
        (400, "rejected the planner's request", "config.toml"),
    ],
)
async def test_client_errors_stop_the_run_with_what_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, said: str, next_step: str
) -> None:
    script = RoleScript({"planner": [Error(status, "scripted refusal")]})
    ws = new_run(tmp_path)
    key = "sk-ant-wrong-key-for-this-test" if status == 401 else "sk-ant-test-0123456789abcdef"
    with MessagesServer(script, api_key="sk-ant-test-0123456789abcdef") as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        finished = await open_engine(ws, iterations=2, key=key).run()
    assert len(server.received()) == 1  # never retried
    assert finished.status == "failed" and finished.completed == 0
    fatal = [e for e in read_events(ws.events) if isinstance(e, ErrorRaised) and e.fatal]
    assert len(fatal) == 1 and fatal[0].where == "anthropic agent"
    assert said in fatal[0].message and next_step in fatal[0].next_step
    assert str(status) in fatal[0].message
    assert "Traceback" not in finished.reason and key not in finished.reason


async def test_abort_cancels_the_request_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_plan = Message([text("TITLE: a long design\n\n" + "word " * 400)], hang_after=8)
    script = RoleScript({"planner": [long_plan]})
    ws = new_run(tmp_path)
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        engine = open_engine(ws, iterations=1)
        texts: list[str] = []
        engine.log.subscribe(lambda e: texts.append(e.text) if isinstance(e, AgentText) else None)
        run = asyncio.create_task(engine.run())
        await wait_until(lambda: server.streaming.is_set() and bool(texts), 30)
        aborted_at = time.monotonic()
        await engine.control(Abort())
        finished = await asyncio.wait_for(run, 20)
        await wait_until(lambda: bool(server.disconnects), 5)
    assert finished.status == "aborted"
    assert server.disconnects[0] - aborted_at < 2.0  # the connection was closed at once
    assert len(server.received()) == 1  # and not retried
    assert "".join(texts).startswith("TITLE: a long design")
    events = read_events(ws.events)
    turn = next(e for e in events if isinstance(e, AgentTurnFinished))
    assert not turn.ok and turn.error == "cancelled"
    assert isinstance(events[-1], RunFinished)
