"""The coder's tool loop: paths outside `store/` are refused with a tool error the model
reads, a malformed call gets a tool error instead of a crash, and steering sent at the
next tool boundary reaches the model as a user message in its next request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from agentkit import (
    critic_reply,
    finish,
    last_tool_results,
    new_run,
    open_engine,
    plan_reply,
    quiet_audit,
    write_store,
)
from messages_server import Message, MessagesServer, Received, RoleScript, text, tool

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.controls import Steer
from jitskit_tui.protocol.events import (
    ErrorRaised,
    IterationFinished,
    SteeringApplied,
    ToolCallFinished,
)

pytestmark = pytest.mark.slow


async def test_paths_outside_store_and_malformed_calls_get_tool_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    escape = tmp_path / "escaped.cc"
    (tmp_path / "run").mkdir()
    attempts = Message(
        [
            text("Let me put helpers next to the harness."),
            tool("write_file", {"path": "../escaped.cc", "content": "int x;"}),
            tool("write_file", {"path": str(escape), "content": "int x;"}),
            tool("write_file", {"path": "audit/sneaky.cc", "content": "int x;"}),
            tool("edit_file", {"path": "spec.yaml", "old": "agents-tiny", "new": "hacked"}),
            tool("read_file", {"path": "store/../spec.yaml"}),
            tool("write_file", raw='{"path": "store/a.cc", "content": '),
            tool("write_file", raw='["store/a.cc"]'),
            tool("no_such_tool", {"x": 1}),
        ]
    )
    seen: list[str] = []

    def after_refusals(request: Received) -> Message:
        results = request.tool_results()
        seen.extend(str(r.get("content")) for r in results)
        assert len(results) == 8 and all(r.get("is_error") for r in results), results
        return write_store(say="Keeping to store/.")

    script = RoleScript(
        {
            "planner": [plan_reply()],
            "coder": [attempts, after_refusals, finish()],
            "critic": [critic_reply()],
            "auditor": quiet_audit(),  # the budget's last iteration is audited
        }
    )
    ws = new_run(tmp_path)
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        finished = await open_engine(ws, iterations=1).run()
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert finished.status == "finished" and finished.completed == 1, finished.reason

    assert not escape.exists() and not (ws.audit / "sneaky.cc").exists()
    assert "agents-tiny" in ws.spec_file.read_text()
    escaped, absolute, audit, spec, dotdot, cut, array, unknown = seen
    assert "`..` is refused" in escaped
    assert "absolute paths are refused" in absolute
    assert "outside store/" in audit and "outside store/" in spec
    assert "`..` is refused" in dotdot
    assert "not valid JSON" in cut and "was not run" in cut
    assert "must be a JSON object" in array
    assert "no tool named 'no_such_tool'" in unknown

    events = read_events(ws.events)
    refused = [e for e in events if isinstance(e, ToolCallFinished) and not e.ok]
    assert len(refused) == 6  # the two malformed calls never reached the toolbox
    notices = [e for e in events if isinstance(e, ErrorRaised) and "malformed" in e.message]
    assert len(notices) == 2 and not any(e.fatal for e in notices)
    done = next(e for e in events if isinstance(e, IterationFinished))
    assert done.verdict == "pass" and done.outcome == "evaluated"


async def test_steering_at_the_next_tool_boundary_reaches_the_next_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = new_run(tmp_path)
    engine_loop: list[asyncio.AbstractEventLoop] = []
    holder: dict[str, object] = {}

    def first_call(request: Received) -> Message:
        # Steering arrives while the model is answering: the engine holds it until the
        # next tool boundary.
        engine = holder["engine"]
        steer = Steer(text="use a flat hash map, not ordered maps", at="next-tool")
        future = asyncio.run_coroutine_threadsafe(engine.control(steer), engine_loop[0])  # type: ignore[attr-defined]
        future.result(10)
        return Message([text("Looking at the contract first."), tool("read_header")])

    def second_call(request: Received) -> Message:
        last = request.messages[-1]
        assert last["role"] == "user"
        kinds = [b["type"] for b in last["content"]]
        assert kinds[0] == "tool_result" and kinds[-1] == "text", kinds
        steering = last["content"][-1]["text"]
        assert "use a flat hash map, not ordered maps" in steering
        assert "class KVStore" in last_tool_results(request)
        return write_store(say="Steered: switching the plan.")

    script = RoleScript(
        {
            "planner": [plan_reply()],
            "coder": [first_call, second_call, finish()],
            "critic": [critic_reply()],
            "auditor": quiet_audit(),
        }
    )
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        engine = open_engine(ws, iterations=1)
        holder["engine"] = engine
        engine_loop.append(asyncio.get_running_loop())
        finished = await engine.run()
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert finished.status == "finished", finished.reason
    applied = [e for e in read_events(ws.events) if isinstance(e, SteeringApplied)]
    assert [(e.role, e.delivery) for e in applied] == [("coder", "next-tool")]
