"""Steering at the next tool boundary reaches Claude Code's live session: `jitskit control
RUN steer --at next-tool`, sent while the coder's model is answering, is handed over when
the coder's next tool call returns (the hook's added context), is in the model's very
next request of the same session, and is logged as applied to the coder."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from agentkit import REFERENCE, critic_reply, plan_reply, write_card
from claudekit import KEY, LiveRun, cli_env, finish, jitskit_tool, run_argv, write
from messages_server import Message, MessagesServer, Received, RoleScript

from jitskit_tui.protocol.events import SteeringApplied, SteeringReceived

pytestmark = pytest.mark.slow

STEER = "Use open addressing with linear probing instead of ordered maps."


def test_steering_reaches_the_coder_at_its_next_tool_boundary(tmp_path: Path) -> None:
    ws_dir = tmp_path / "run"
    coding, steered = threading.Event(), threading.Event()
    seen: list[str] = []

    def first(request: Received) -> Message:
        coding.set()  # the coder's session is live: the test steers now
        assert steered.wait(90), "the steering was not taken in time"
        return write(ws_dir / "store" / "store.cc", REFERENCE)

    def second(request: Received) -> Message:
        seen.append(request.all_text)
        return finish()

    script = RoleScript(
        {
            "planner": [plan_reply()],
            "coder": [first, second],
            "critic": [critic_reply()],
            "auditor": [Message([jitskit_tool("finish", {"summary": "nothing"})])],
        }
    )
    spec = write_card(tmp_path, iterations=1, audit_every=1)
    with MessagesServer(script, api_key=KEY) as server:
        run = LiveRun(
            run_argv(spec, ws_dir, "--seed", "7"), cli_env(tmp_path, server.url), tmp_path
        )
        try:
            assert coding.wait(120), run.output()
            sent = run.control("steer", STEER, "--at", "next-tool")
            assert sent.returncode == 0, sent.stdout + sent.stderr
            run.wait_for(lambda events: any(isinstance(e, SteeringReceived) for e in events))
            steered.set()
            code, out, err = run.finish(240)
        finally:
            steered.set()
            if run.proc.poll() is None:
                run.proc.kill()
    assert server.errors == [] and script.problems == [] and script.left() == {}
    assert code == 0, out[-3000:] + err[-3000:]
    assert len(seen) == 1 and STEER in seen[0]
    applied = [e for e in run.events() if isinstance(e, SteeringApplied)]
    assert [(e.role, e.delivery, e.iteration) for e in applied] == [("coder", "next-tool", 1)]
