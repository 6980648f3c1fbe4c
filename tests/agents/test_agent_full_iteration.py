"""A full iteration through all four roles against a Messages API server on loopback: real
build, gates, benchmark and audit test; streaming into events (tool calls as they form);
cost; prompt caching."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from agentkit import (
    API_KEY,
    CODER_MODEL,
    PLANNER_MODEL,
    REFERENCE,
    audit_turns,
    critic_reply,
    events_of,
    fast_settings,
    finish,
    last_tool_results,
    new_run,
    open_engine,
    thinking_plan,
    write_store,
)
from messages_server import Message, MessagesServer, Received, RoleScript, text, tool

from jitskit_tui.agents.anthropic.pricing import PriceTable
from jitskit_tui.engine.audit_suite import load_suite
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.controls import Steer
from jitskit_tui.protocol.events import (
    AgentText,
    AgentThinking,
    AgentTurnFinished,
    AuditTestAdded,
    CostUpdate,
    IterationFinished,
    RunFinished,
    SteeringApplied,
    ToolCallFinished,
    ToolCallForming,
    ToolCallStarted,
)
from jitskit_tui.tui.run.transcript import Transcript

pytestmark = pytest.mark.slow


def _build_and_test() -> Message:
    return Message([text("Checking it."), tool("build_and_test")])


def _forming(event: object, call_id: str) -> bool:
    return isinstance(event, ToolCallForming) and event.call_id == call_id


def _after_check(reply: Message) -> Callable[[Received], Message]:
    def check(request: Received) -> Message:
        results = last_tool_results(request)
        assert "verdict: pass" in results, results
        return reply

    return check


async def test_one_iteration_runs_all_four_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coder = [write_store(), _build_and_test(), finish()]
    coder_ids = [b["id"] for m in coder for b in m.content if b["type"] == "tool_use"]
    script = RoleScript(
        {
            "planner": [thinking_plan()],
            "coder": [coder[0], coder[1], _after_check(coder[2])],
            "critic": [critic_reply()],
            "auditor": audit_turns(),
        }
    )
    ws = new_run(tmp_path, audit_every=1)
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        engine = open_engine(ws, iterations=1, settings=fast_settings(thinking="adaptive"))
        await engine.control(Steer(text="prefer fewer, larger shards", at="next-iteration"))
        finished = await engine.run()
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert finished.status == "finished" and finished.completed == 1, finished.reason

    events = read_events(ws.events)
    turns = [(e.role, e.ok) for e in events if isinstance(e, AgentTurnFinished)]
    assert turns == [("planner", True), ("coder", True), ("critic", True), ("auditor", True)]
    done = next(e for e in events if isinstance(e, IterationFinished))
    assert done.verdict == "pass" and done.is_best and done.summary.startswith("Reference store")
    assert (ws.store / "store.cc").read_text() == REFERENCE

    # Streaming: words and thinking as they came, tool calls under the model's ids.
    said = "".join(e.text for e in events if isinstance(e, AgentText) and e.role == "planner")
    assert (
        said.startswith("TITLE: Reference store")
        and len([e for e in events if isinstance(e, AgentText) and e.role == "planner"]) > 1
    )
    assert any(isinstance(e, AgentThinking) and "shard" in e.text for e in events)
    started = [e.call_id for e in events if isinstance(e, ToolCallStarted) and e.role == "coder"]
    assert started == coder_ids
    assert all(e.ok for e in events if isinstance(e, ToolCallFinished))

    # Tool calls as they formed: shown at once, their input in ~2 KiB pieces, all of it
    # before the call started and nothing after.
    for call_id in coder_ids:
        formed = [i for i, e in enumerate(events) if _forming(e, call_id)]
        begun = next(
            i
            for i, e in enumerate(events)
            if isinstance(e, ToolCallStarted) and e.call_id == call_id
        )
        assert formed and max(formed) < begun
    written = [e for e in events if _forming(e, coder_ids[0])]
    assert written[0].input_delta == "" and written[0].name == "write_file"
    raw = "".join(e.input_delta for e in written)
    assert json.loads(raw) == {"path": "store/store.cc", "content": REFERENCE}
    assert written[-1].input_chars == len(raw) and len(written) <= len(raw) // 2048 + 3
    assert all(Narrator().line(e) is None for e in written)  # not narrated: too chatty
    transcript = Transcript()
    for event in events:
        transcript.apply(event)
    tools = [b for b in transcript.blocks if b.kind == "tool"]
    assert len(tools) == sum(isinstance(e, ToolCallStarted) for e in events)
    assert not any(b.forming for b in tools) and tools[0].title == "write_file store/store.cc"

    # Steering for this iteration reached the planner.
    planner_request = server.received("planner")[0]
    assert "prefer fewer, larger shards" in planner_request.user_texts()
    assert any(isinstance(e, SteeringApplied) and e.role == "planner" for e in events)

    # Each role's model, system prompt and cached prefix.
    models = {r.role: r.body["model"] for r in server.received()}
    assert models == {
        "planner": PLANNER_MODEL,
        "coder": CODER_MODEL,
        "critic": CODER_MODEL,
        "auditor": PLANNER_MODEL,
    }
    for request in server.received():
        system = request.body["system"]
        assert system[-1]["cache_control"] == {"type": "ephemeral"}
        assert "name: agents-tiny" in system[-1]["text"] and "class KVStore" in system[-1]["text"]
        last = request.messages[-1]["content"][-1]
        assert last["cache_control"] == {"type": "ephemeral"}
    coder_request = server.received("coder")[0]
    names = [t["name"] for t in coder_request.body["tools"]]
    assert names[0] == "list_files" and "build_and_test" in names and names[-1] == "finish"
    assert coder_request.body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "add_audit_test" not in names
    assert planner_request.body["thinking"]["type"] == "adaptive"
    assert planner_request.api_key == API_KEY

    # Cost: one update per response, priced per model, folded per role and iteration.
    costs = [e for e in events if isinstance(e, CostUpdate)]
    assert len(costs) == len(server.received())
    first = costs[0]
    rates = PriceTable().rates(PLANNER_MODEL)
    expected = (first.input_tokens * rates.input + first.output_tokens * rates.output) / 1e6
    assert first.role == "planner" and first.output_tokens == 200
    assert first.dollars == pytest.approx(expected)
    state = RunState.from_events(events)
    assert set(state.cost) == {"planner", "coder", "critic", "auditor"}
    assert state.cost_by_iteration[1].dollars == pytest.approx(sum(c.dollars for c in costs))

    # The auditor's test is in the suite and ran in no iteration yet (added after it).
    added = events_of(ws, AuditTestAdded)
    assert [e.test_id for e in added] == ["value-size-honoured"]
    test = load_suite(ws.audit).get("value-size-honoured")
    assert test is not None and test.severity == "log"
    assert isinstance(events[-1], RunFinished)
