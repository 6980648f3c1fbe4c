"""Done when: `jitskit run specs/demo.yaml --headless --agent anthropic --iterations 2`
with `ANTHROPIC_BASE_URL` at a Messages API server and a key set completes two iterations
through all four roles (the demo card audits every 3 iterations; the budget's last
iteration is audited too); afterwards the key is nowhere in the workspace (git objects
included) or the program's output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from agentkit import audit_turns, critic_reply, finish, plan_reply, write_store
from messages_server import MessagesServer, RoleScript

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    IterationFinished,
    RunFinished,
    RunStarted,
)

pytestmark = pytest.mark.slow

DEMO = Path(__file__).resolve().parents[2] / "specs" / "demo.yaml"
JITSKIT = Path(sys.executable).with_name("jitskit")
KEY = "sk-ant-cli-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def _files_holding(root: Path, secret: bytes) -> list[str]:
    found = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink() and secret in path.read_bytes():
                found.append(str(path.relative_to(root)))
    return found


def test_headless_run_with_the_anthropic_agent_completes_two_iterations(tmp_path: Path) -> None:
    script = RoleScript(
        {
            "planner": [plan_reply(), plan_reply("Same store, measured again")],
            "coder": [write_store(), finish(), finish("No change")],
            "critic": [critic_reply(), critic_reply()],
            "auditor": audit_turns(),
        }
    )
    ws_dir = tmp_path / "run"
    with MessagesServer(script, api_key=KEY) as server:
        env = {**os.environ, "NO_COLOR": "1", "ANTHROPIC_API_KEY": KEY}
        env["ANTHROPIC_BASE_URL"] = server.url
        env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
        env.pop("JITSKIT_CONFIG", None)
        argv = [str(JITSKIT), "run", str(DEMO), "--headless", "--agent", "anthropic"]
        argv += ["--iterations", "2", "--no-baselines", "--workspace", str(ws_dir)]
        argv += ["--transcript", "--seed", "7"]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
        )
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert all(r.api_key == KEY for r in server.received())

    events = read_events(Workspace(ws_dir).events)
    started = events[0]
    assert isinstance(started, RunStarted) and started.spec_name == "demo"
    assert started.agent == "anthropic" and started.iterations == 2
    finished = [e for e in events if isinstance(e, IterationFinished)]
    assert [(e.iteration, e.verdict) for e in finished] == [(1, "pass"), (2, "pass")]
    turns = [(e.iteration, e.role) for e in events if isinstance(e, AgentTurnFinished) and e.ok]
    assert {role for _, role in turns} == {"planner", "coder", "critic", "auditor"}
    assert turns == [
        (1, "planner"),
        (1, "coder"),
        (1, "critic"),
        (2, "planner"),
        (2, "coder"),
        (2, "critic"),
        (2, "auditor"),  # not on the demo's every-3 schedule: the budget's last iteration
    ]
    last = events[-1]
    assert isinstance(last, RunFinished) and last.status == "finished"
    assert "Reads dominate" in done.stdout  # the transcript streamed to the terminal

    secret = KEY.encode()
    assert _files_holding(ws_dir, secret) == []
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=ws_dir,
        capture_output=True,
        check=True,
    ).stdout
    assert len(objects) > 1000 and secret not in objects
    assert KEY not in done.stdout and KEY not in done.stderr
