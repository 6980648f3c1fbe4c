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
from agentkit import (
    assert_key_nowhere,
    audit_turns,
    critic_reply,
    demo_run_events,
    finish,
    plan_reply,
    short_demo,
    write_store,
)
from messages_server import MessagesServer, RoleScript

pytestmark = pytest.mark.slow

JITSKIT = Path(sys.executable).with_name("jitskit")
KEY = "sk-ant-cli-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


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
        card = short_demo(tmp_path / "demo.yaml")
        argv = [str(JITSKIT), "run", str(card), "--headless", "--agent", "anthropic"]
        argv += ["--iterations", "2", "--no-baselines", "--workspace", str(ws_dir)]
        argv += ["--transcript", "--seed", "7"]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
        )
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert all(r.api_key == KEY for r in server.received())

    demo_run_events(ws_dir, "anthropic", done.stdout)
    assert_key_nowhere(ws_dir, KEY, done.stdout, done.stderr)
