"""A Claude Code run killed with kill -9 mid-turn leaves no `claude` process behind (the
jail dies with jitskit), and `jitskit resume` redoes the interrupted iteration with the
planner's and critic's sessions resumed where the last committed iteration left them:
the planner's redone turn carries its first plan, not the abandoned second one."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
from agentkit import REFERENCE, critic_reply, plan_reply, write_card
from claudekit import (
    JITSKIT,
    KEY,
    LiveRun,
    cli_env,
    finish,
    jitskit_tool,
    processes_at_home,
    run_argv,
    write,
)
from messages_server import Message, MessagesServer, Received, RoleScript

from jitskit_tui.protocol.events import IterationAbandoned, IterationFinished, RunResumed

pytestmark = pytest.mark.slow


def test_a_killed_run_leaves_no_cli_and_resumes_the_sessions(tmp_path: Path) -> None:
    ws_dir = tmp_path / "run"
    store = ws_dir / "store" / "store.cc"
    coding_again, killed = threading.Event(), threading.Event()

    def held(request: Received) -> Message:
        coding_again.set()
        killed.wait(120)
        return finish()

    def replanned(request: Received) -> Message:
        text = request.all_text
        assert "Sixteen shards" in text, "the planner's session was not resumed"
        assert "First attempt at two" not in text, "the abandoned turn came back"
        return plan_reply("Second attempt at two")

    script = RoleScript(
        {
            "planner": [plan_reply(), plan_reply("First attempt at two"), replanned],
            "coder": [write(store, REFERENCE), finish(), held, finish("No change")],
            "critic": [critic_reply(), critic_reply()],
            "auditor": [Message([jitskit_tool("finish", {"summary": "nothing"})])],
        }
    )
    spec = write_card(tmp_path, iterations=2, audit_every=2)
    state = tmp_path / "state"
    with MessagesServer(script, api_key=KEY) as server:
        env = cli_env(tmp_path, server.url)
        run = LiveRun(run_argv(spec, ws_dir, "--seed", "7"), env, tmp_path)
        try:
            assert coding_again.wait(180), run.output()
            assert processes_at_home(state), "the coder's CLI should be running now"
            run.proc.kill()  # kill -9: no cleanup of ours runs
            run.proc.wait(30)
            deadline = time.monotonic() + 20
            while processes_at_home(state) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert processes_at_home(state) == []
        finally:
            killed.set()
            if run.proc.poll() is None:
                run.proc.kill()
        resumed = subprocess.run(
            [str(JITSKIT), "resume", str(ws_dir), "--headless", "--no-baselines", "--seed", "7"],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    events = run.events()
    assert any(isinstance(e, RunResumed) and e.agent == "claude-code" for e in events)
    assert [e.iteration for e in events if isinstance(e, IterationAbandoned)] == [2]
    finished = [(e.iteration, e.verdict) for e in events if isinstance(e, IterationFinished)]
    assert finished == [(1, "pass"), (2, "pass")]
