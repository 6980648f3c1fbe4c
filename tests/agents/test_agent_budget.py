"""Budget caps: once the spec's token or dollar cap is reached mid-iteration, the coder's
tool loop ends before its next request, the critic is skipped, and the loop stops
cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentkit import new_run, open_engine
from messages_server import Message, MessagesServer, RoleScript, text, tool

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import ErrorRaised, IterationFinished

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("cap", "tokens", "cap_words"),
    [
        # 3,000 + 200 tokens after the planner, 6,400 after the coder's first reply.
        ("{tokens: 5000}", 3000, "token budget"),
        # $1.51 after the planner (Opus-class prices), $2.41 after the coder's first reply.
        ("{dollars: 2}", 300_000, "dollar budget"),
    ],
)
async def test_a_cap_stops_the_loop_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: str, tokens: int, cap_words: str
) -> None:
    script = RoleScript(
        {
            "planner": [Message([text("TITLE: Big design\n\nA long one.")], input_tokens=tokens)],
            "coder": [
                Message([text("Looking around."), tool("list_files")], input_tokens=tokens),
                Message([tool("finish", {"summary": "never sent"})]),
            ],
        }
    )
    ws = new_run(tmp_path, budget=cap)
    with MessagesServer(script) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        finished = await open_engine(ws, iterations=3).run()
    assert server.errors == [] and script.problems == []
    assert finished.status == "finished" and finished.completed == 1
    assert f"{cap_words} used up" in finished.reason
    assert len(server.received("coder")) == 1 and server.received("critic") == []
    assert server.received("auditor") == []
    events = read_events(ws.events)
    notices = [e.message for e in events if isinstance(e, ErrorRaised) and not e.fatal]
    assert any("coder stopped before its next request" in m for m in notices), notices
    assert any("no critique" in m for m in notices), notices
    done = next(e for e in events if isinstance(e, IterationFinished))
    assert f"unfinished: {cap_words} used up" in done.summary
    assert RunState.from_events(events).total_cost.tokens == 2 * (tokens + 200)
