"""Done when: `jitskit run specs/demo.yaml --headless --agent claude-code --iterations 2`,
the bundled Claude Code CLI reaching a Messages API server on loopback through
`ANTHROPIC_BASE_URL`, completes two iterations through all four roles while the server
rate-limits (429, `retry-after: 0`), overloads (529) and drops a stream; the planner
and the critic continue their sessions; every response is priced per role; and the key
is nowhere in the workspace (git objects included) or the program's output, and Claude
Code's own files stay in the run's private home outside the workspace."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from agentkit import (
    REFERENCE,
    VALUE_SIZE_TEST,
    assert_key_nowhere,
    critic_reply,
    demo_run_events,
    plan_reply,
    short_demo,
    thinking_plan,
)
from claudekit import (
    KEY,
    cli_env,
    finish,
    jitskit_tool,
    run_argv,
    write,
)
from messages_server import Error, Message, MessagesServer, Received, RoleScript, text

from jitskit_tui.protocol.events import (
    AgentThinking,
    AuditTestAdded,
    CostUpdate,
    RetryScheduled,
    ToolCallFinished,
)

pytestmark = pytest.mark.slow


def _continues(first_plan: str, reply: Message) -> object:
    """The planner's second turn, which must carry its first turn's words."""

    def answer(request: Received) -> Message:
        assert first_plan in request.all_text, "the planner's session was not continued"
        return reply

    return answer


def test_a_claude_code_run_completes_two_iterations_through_faults(tmp_path: Path) -> None:
    ws_dir = tmp_path / "run"
    store, audit = ws_dir / "store", ws_dir / "audit"
    first = thinking_plan()
    dropped = write(store / "store.cc", REFERENCE)
    dropped.drop_after = 6
    script = RoleScript(
        {
            "planner": [
                Error(429, "slow down", headers={"retry-after": "0"}),
                first,
                _continues("Sixteen shards", plan_reply("Same store, measured again")),
            ],
            "coder": [dropped, write(store / "store.cc", REFERENCE), finish(), finish("No change")],
            "critic": [Error(529, "overloaded"), critic_reply(), critic_reply()],
            "auditor": [
                write(audit / "value-size-honoured.cc", VALUE_SIZE_TEST, "Testing value_size."),
                Message(
                    [
                        jitskit_tool(
                            "add_audit_test",
                            {
                                "id": "value-size-honoured",
                                "file": "audit/value-size-honoured.cc",
                                "severity": "log",
                                "invariant": "Values of value_size round-trip intact.",
                            },
                        )
                    ]
                ),
                Message([text("Added one test."), jitskit_tool("finish", {"summary": "done"})]),
            ],
        }
    )
    with MessagesServer(script, api_key=KEY) as server:
        card = short_demo(tmp_path / "demo.yaml")
        argv = run_argv(card, ws_dir, "--iterations", "2", "--transcript", "--seed", "7")
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=300, env=cli_env(tmp_path, server.url)
        )
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert all(r.api_key == KEY for r in server.received())

    events = demo_run_events(ws_dir, "claude-code", done.stdout)
    retries = [e for e in events if isinstance(e, RetryScheduled)]
    reasons = " | ".join(f"{e.where}: {e.reason}" for e in retries)
    assert "rate limited (429)" in reasons and "overloaded (529)" in reasons
    # The dropped stream was asked again (every scripted reply was served, above), and
    # the run went on; the CLI announces that retry as an `api_retry` in some of its
    # recovery paths only (seen both ways here), so the event is not required.
    priced = {e.role for e in events if isinstance(e, CostUpdate) and e.dollars > 0}
    assert priced == {"planner", "coder", "critic", "auditor"}
    assert any(isinstance(e, AgentThinking) for e in events)
    writes = [e for e in events if isinstance(e, ToolCallFinished) and e.name == "Write"]
    assert [e.ok for e in writes] == [True, True]
    assert [e.test_id for e in events if isinstance(e, AuditTestAdded)] == ["value-size-honoured"]

    assert_key_nowhere(ws_dir, KEY, done.stdout, done.stderr)
    sessions = list((tmp_path / "state").rglob("*.jsonl"))
    assert sessions and not any(ws_dir in s.parents for s in sessions)
    assert not (ws_dir / ".claude").exists() and not (store / ".claude").exists()
