"""Long runs: a role's conversation is compacted when it nears the model's context window,
so fifty planning turns neither fail nor grow without limit; the whiteboard anchors what
must not be forgotten, a failing summarizer falls back to a plain list, and every
compaction is a `context_compacted` event (narrated in one line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentkit import (
    API_KEY,
    critic_reply,
    fast_settings,
    new_run,
    open_engine,
    plan_reply,
    quiet_audit,
    write_card,
)
from messages_server import Error, Message, MessagesServer, Received, text, tool

from jitskit_tui.agents.anthropic.agent import AnthropicAgent
from jitskit_tui.agents.anthropic.conversation import SUMMARY_HEADER
from jitskit_tui.agents.anthropic.role_chat import RoleChat
from jitskit_tui.engine.budget import BudgetAuthority
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.reporting import EventSink
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.whiteboard import initial
from jitskit_tui.paths import packaged
from jitskit_tui.protocol.agent import Brief, PlanContext
from jitskit_tui.protocol.events import AgentTurnFinished, ContextCompacted, ErrorRaised, Event
from jitskit_tui.spec import load_spec
from jitskit_tui.spec.model import Budget

TURNS = 50
NO_CAPS = BudgetAuthority(Budget(), RunState(), TURNS)


def _reply(request: Received) -> Message:
    if request.role.startswith("summarizer"):
        return Message([text("- designs 1..n tried; sharding helped; keep 16 shards")])
    turn = request.user_texts().split("Plan iteration ")[-1].rstrip(".")
    return Message([text(f"TITLE: design {turn}\n\n" + f"Details of design {turn}. " * 80)])


def _context(tmp_path: Path, n: int, board: str) -> PlanContext:
    spec_path = tmp_path / "agents-tiny.yaml"
    brief = Brief(
        spec=load_spec(spec_path),
        spec_text=spec_path.read_text(),
        header=packaged("harness", "cpp", "include", "jitskit", "kvstore.h").read_text(),
        workspace=tmp_path,
        iteration=n,
        step=n,
        parent_iteration=n - 1,
        iterations_budget=TURNS,
        machine="local: test",
    )
    critique = f"Iteration {n - 1} was {1000 + n} ops/s faster. " * 30 if n > 1 else None
    return PlanContext(brief, board, critique, None, None)


async def _plan_many(agent: AnthropicAgent, tmp_path: Path, events: list[Event]) -> list[str]:
    board = initial("agents-tiny")
    titles = []
    for n in range(1, TURNS + 1):
        sink = EventSink(lambda e: events.append(e) or e, "planner", n, NO_CAPS)
        plan = await agent.plan(_context(tmp_path, n, board), sink)
        titles.append(plan.title)
        board += f"\n## Iteration {n}: {plan.title}\n\n{plan.text}\n\n**Result**: pass, {n} ops/s\n"
    return titles


async def test_fifty_turns_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_card(tmp_path)
    settings = fast_settings(context_window=16000, compact_at=0.5)
    events: list[Event] = []
    with MessagesServer(_reply) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        agent = AnthropicAgent(
            load_spec(tmp_path / "agents-tiny.yaml"), api_key=API_KEY, settings=settings
        )
        titles = await _plan_many(agent, tmp_path, events)
        await agent.close()
    assert server.errors == []
    assert titles == [f"design {n}" for n in range(1, TURNS + 1)]

    summaries = server.received("summarizer (planner)")
    assert 5 <= len(summaries) <= TURNS // 3  # compacted now and then, not every turn
    assert all(not r.body.get("stream") for r in summaries)  # the plain JSON path
    assert "Details of design 1." in summaries[0].user_texts()

    planner = server.received("planner")
    sizes = [len(json.dumps(r.body)) for r in planner]
    threshold_chars = int(16000 * 0.5) * 4  # the server counts a token per 4 characters
    assert max(sizes) < 1.25 * threshold_chars, sizes
    assert max(sizes[-15:]) <= 1.2 * max(sizes[10:35])  # no growth over the run
    later = planner[-1].messages
    first = later[0]["content"][0]["text"]
    assert first.startswith(SUMMARY_HEADER)
    assert "keep 16 shards" in first and "The whiteboard as it stands now" in first
    # Where the last request falls in the cycle of compactions depends on the prompts'
    # length; what matters is that the count of messages does not grow over the run.
    counts = [len(r.messages) for r in planner]
    assert max(counts[-15:]) <= max(counts[10:35]), counts
    chat = agent._chats["planner"]
    assert isinstance(chat, RoleChat) and chat.conversation.compactions == len(summaries)

    # Each compaction is an event: the role, its turn, what was folded, and the sizes.
    compacted = [e for e in events if isinstance(e, ContextCompacted)]
    assert len(compacted) == len(summaries)
    threshold = int(16000 * 0.5)
    for event in compacted:
        assert event.role == "planner" and event.how == "summary" and event.turns_folded >= 1
        assert event.tokens_before >= threshold > event.tokens_after
    assert compacted[0].iteration is not None and compacted[0].iteration > 1
    line = Narrator().line(compacted[0])
    assert line is not None and "planner's context compacted" in line
    assert f"{compacted[0].turns_folded} older turns folded" in line


async def test_a_failing_summarizer_falls_back_to_a_plain_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_card(tmp_path)

    def reply(request: Received) -> Message | Error:
        if request.role.startswith("summarizer"):
            return Error(500, "summaries are down")
        return _reply(request)

    settings = fast_settings(context_window=8000, compact_at=0.5)
    settings = settings.model_copy(
        update={"retry": settings.retry.model_copy(update={"attempts": 2})}
    )
    events: list[Event] = []
    with MessagesServer(reply) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        agent = AnthropicAgent(
            load_spec(tmp_path / "agents-tiny.yaml"), api_key=API_KEY, settings=settings
        )
        titles = await _plan_many(agent, tmp_path, events)
        await agent.close()
    assert titles[-1] == f"design {TURNS}"
    notices = [e for e in events if isinstance(e, ErrorRaised) and "summarize" in e.message]
    assert notices and not any(e.fatal for e in notices)
    first = server.received("planner")[-1].messages[0]["content"][0]["text"]
    assert first.startswith(SUMMARY_HEADER) and "- said: TITLE: design" in first


@pytest.mark.slow
async def test_a_long_tool_loop_is_compacted_without_breaking_tool_pairs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rounds = 14

    def reply(request: Received) -> Message:
        if request.role.startswith("summarizer"):
            return Message([text("- read the header many times; nothing written yet")])
        if request.role == "planner":
            return plan_reply()
        if request.role == "critic":
            return critic_reply()
        if request.role == "auditor":
            return quiet_audit()[0]
        done = sum(1 for m in request.messages if m["role"] == "assistant")
        if request.messages[0]["content"][0]["text"].startswith(SUMMARY_HEADER):
            done += 100  # compacted: the count restarts, so finish soon after
        if done >= rounds:
            return Message([tool("finish", {"summary": "read a lot"})])
        return Message([text(f"Reading, round {done}."), tool("read_header")])

    ws = new_run(tmp_path)
    settings = fast_settings(context_window=12000, compact_at=0.5)
    with MessagesServer(reply) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        finished = await open_engine(ws, iterations=1, settings=settings).run()
    assert server.errors == []  # every request was well-formed, tool pairs included
    assert finished.completed == 1, finished.reason
    assert server.received("summarizer (coder)")
    coder = server.received("coder")
    compacted = [r for r in coder if r.user_texts(0).startswith(SUMMARY_HEADER)]
    assert compacted and "The plan for this iteration" in compacted[0].user_texts(0)
    events = read_events(ws.events)
    turns = [(e.role, e.ok) for e in events if isinstance(e, AgentTurnFinished)]
    assert turns == [("planner", True), ("coder", True), ("critic", True), ("auditor", True)]
    compacted = [e for e in events if isinstance(e, ContextCompacted)]
    assert compacted and all(e.role == "coder" and e.iteration == 1 for e in compacted)
    assert compacted[0].how == "summary" and compacted[0].turns_folded >= 1
    assert compacted[0].tokens_after < compacted[0].tokens_before
    assert len(compacted) == len(server.received("summarizer (coder)"))
