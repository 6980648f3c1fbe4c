"""Abort with Claude Code mid-response: `jitskit control RUN abort` while the planner's
response is streaming interrupts the CLI and ends it; the run exits as aborted, and no
`claude` process (nor its bubblewrap) of the run is left behind."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from agentkit import write_card
from claudekit import KEY, LiveRun, cli_env, processes_at_home, run_argv
from messages_server import Message, MessagesServer, RoleScript, text

from jitskit_tui.protocol.events import RunFinished

pytestmark = pytest.mark.slow


def test_abort_mid_response_leaves_no_claude_process(tmp_path: Path) -> None:
    state = tmp_path / "state"
    hanging = Message([text("Considering the workload. " * 40)], hang_after=5)
    script = RoleScript({"planner": [hanging]})
    spec = write_card(tmp_path, iterations=1, audit_every=1)
    with MessagesServer(script, api_key=KEY) as server:
        run = LiveRun(
            run_argv(spec, tmp_path / "run", "--seed", "7"), cli_env(tmp_path, server.url), tmp_path
        )
        try:
            assert server.streaming.wait(120), run.output()
            assert processes_at_home(state), "the planner's CLI should be running now"
            asked = time.monotonic()
            sent = run.control("abort")
            assert sent.returncode == 0, sent.stdout + sent.stderr
            code, out, err = run.finish(120)
            took = time.monotonic() - asked
        finally:
            if run.proc.poll() is None:
                run.proc.kill()
        assert code == 4, out[-3000:] + err[-3000:]
        assert processes_at_home(state) == []
        deadline = time.monotonic() + 10
        while not server.disconnects and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.disconnects, "the CLI's connection to the API was not closed"
    last = run.events()[-1]
    assert isinstance(last, RunFinished) and last.status == "aborted"
    assert took < 60
