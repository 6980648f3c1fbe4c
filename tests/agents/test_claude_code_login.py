"""With no API key, the Claude Code agent runs on the user's own Claude Code login: the
CLI sees the credentials file read-only (jitskit never reads it) and sends its token;
the dollars shown are an estimate at API prices, marked `≈`, and the card's token cap
still ends the run; the token is nowhere in the workspace or the output, and the login
file is left as it was."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from agentkit import assert_key_nowhere, plan_reply, write_card
from claudekit import JITSKIT, cli_env, run_argv
from messages_server import MessagesServer, RoleScript

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import CostUpdate, RunFinished

pytestmark = pytest.mark.slow

TOKEN = "sk-ant-oat01-login-test-0a1b2c3d4e5f"


def test_a_login_runs_with_estimated_dollars_and_the_token_cap_holds(tmp_path: Path) -> None:
    user_claude = tmp_path / "user-claude"
    user_claude.mkdir()
    login = user_claude / ".credentials.json"
    expires = int(time.time() * 1000) + 3_600_000
    login.write_text(
        json.dumps(
            {
                "claudeAiOauth": {
                    "accessToken": TOKEN,
                    "refreshToken": "sk-ant-ort01-login-test",
                    "expiresAt": expires,
                    "scopes": ["user:inference"],
                    "subscriptionType": "max",
                }
            }
        )
    )
    before = login.read_bytes()
    ws_dir = tmp_path / "run"
    spec = write_card(tmp_path, iterations=2, audit_every=2, budget="{tokens: 3k}")
    script = RoleScript({"planner": [plan_reply()]})
    with MessagesServer(script, api_key=TOKEN) as server:
        env = cli_env(tmp_path, server.url)
        env.pop("ANTHROPIC_API_KEY")
        env["CLAUDE_CONFIG_DIR"] = str(user_claude)
        done = subprocess.run(
            run_argv(spec, ws_dir, "--seed", "7"),
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        shown = subprocess.run(
            [str(JITSKIT), "show", str(ws_dir)], capture_output=True, text=True, env=env
        )
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [r.role for r in server.received()] == ["planner"]  # the cap ended the rest
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in server.received())

    events = read_events(Workspace(ws_dir).events)
    costs = [e for e in events if isinstance(e, CostUpdate)]
    assert costs and all(e.estimated and e.dollars > 0 for e in costs)
    last = events[-1]
    assert isinstance(last, RunFinished) and "token budget used up" in last.reason
    assert "≈$" in done.stdout and "≈$" in shown.stdout

    assert login.read_bytes() == before and oct(login.stat().st_mode)[-3:] == "644"
    assert_key_nowhere(ws_dir, TOKEN, done.stdout, done.stderr, shown.stdout)
    private = [Path(d, f) for d, _, fs in os.walk(tmp_path / "state") for f in fs]
    assert not any(TOKEN.encode() in p.read_bytes() for p in private if not p.is_symlink())
