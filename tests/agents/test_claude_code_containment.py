"""Claude Code's first layer of containment, its tool hooks: a read of the spec and a
write into `audit/` by the coder, and a write into `store/` by the auditor, are refused
with a reason the model reads, shown in the transcript as refused calls, and leave the
files as they were; a shell command is refused too. The rules themselves
(:func:`~jitskit_tui.agents.claude_code.policy.decide`) also hold for links and globs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from agentkit import REFERENCE, critic_reply, plan_reply, write_card
from claudekit import KEY, cli_env, finish, run_argv, write
from messages_server import Message, MessagesServer, Received, RoleScript, tool

from jitskit_tui.agents.claude_code.policy import Folders, decide
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import IterationFinished, ToolCallFinished

pytestmark = pytest.mark.slow


def _reads_refusal(words: str, then: Message) -> object:
    def answer(request: Received) -> Message:
        said = "\n".join(str(r.get("content")) for r in request.tool_results())
        assert words in said, f"the model was not told why: {said[:300]}"
        return then

    return answer


def test_reads_and_writes_outside_the_roles_folders_are_refused_and_shown(
    tmp_path: Path,
) -> None:
    ws_dir = tmp_path / "run"
    store, audit = ws_dir / "store", ws_dir / "audit"
    spec = write_card(tmp_path, iterations=1, audit_every=1)
    script = RoleScript(
        {
            "planner": [plan_reply()],
            "coder": [
                Message([tool("Read", {"file_path": str(ws_dir / "spec.yaml")})]),
                _reads_refusal(
                    "is outside", Message([tool("Bash", {"command": "cat ../spec.yaml"})])
                ),
                _reads_refusal("No such tool", write(audit / "planted.cc", "int x;")),
                _reads_refusal("is outside", write(store / "store.cc", REFERENCE)),
                finish(),
            ],
            "critic": [critic_reply()],
            "auditor": [
                write(store / "store.cc", "// emptied by the auditor\n", "Rewriting the store."),
                _reads_refusal("may write only under", finish("nothing to add")),
            ],
        }
    )
    with MessagesServer(script, api_key=KEY) as server:
        done = subprocess.run(
            run_argv(spec, ws_dir, "--seed", "7"),
            capture_output=True,
            text=True,
            timeout=240,
            env=cli_env(tmp_path, server.url),
        )
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    events = read_events(Workspace(ws_dir).events)
    calls = [(e.role, e.name, e.ok) for e in events if isinstance(e, ToolCallFinished)]
    assert calls == [
        ("coder", "Read", False),
        ("coder", "Bash", False),
        ("coder", "Write", False),
        ("coder", "Write", True),
        ("coder", "finish", True),
        ("auditor", "Write", False),
        ("auditor", "finish", True),
    ]
    refused = [e.error for e in events if isinstance(e, ToolCallFinished) and not e.ok]
    assert all(r.startswith("refused:") or "No such tool" in r for r in refused), refused
    assert "coder → Read: error: refused" in done.stdout
    assert [e.verdict for e in events if isinstance(e, IterationFinished)] == ["pass"]
    assert (store / "store.cc").read_text() == REFERENCE
    assert not (audit / "planted.cc").exists()
    assert "name: agents-tiny" in (ws_dir / "spec.yaml").read_text()


def test_links_and_globs_do_not_lead_out_of_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "link.cc").symlink_to(tmp_path / "spec.yaml")
    coder = Folders(store, (store,), (store,))
    assert decide("Read", {"file_path": str(store / "a.cc")}, coder).allowed
    assert decide("Glob", {"pattern": "**/*.cc"}, coder).allowed
    assert "resolves to" in decide("Read", {"file_path": str(store / "link.cc")}, coder).reason
    assert not decide("Read", {"file_path": "../spec.yaml"}, coder).allowed
    assert not decide("Glob", {"pattern": "../*"}, coder).allowed
    assert not decide("Grep", {"pattern": "x", "path": str(tmp_path)}, coder).allowed
    assert not decide("WebFetch", {"url": "https://example.org"}, coder).allowed
    assert decide("mcp__jitskit__build_and_test", {}, coder).allowed
