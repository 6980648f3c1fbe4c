"""What the user sees when Claude Code's requests fail for good: a refused key (401)
stops the run at the first refusal, although the CLI would retry it ten times, with the
fix and without the key; an unknown model stops it naming the spec field to change.
(Rate limits, overload and a dropped stream are retried: see test_claude_code_run.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from agentkit import write_card
from claudekit import KEY, cli_env, run_argv
from messages_server import Error, MessagesServer, RoleScript

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import ErrorRaised, RunFinished

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, server: MessagesServer) -> subprocess.CompletedProcess[str]:
    spec = write_card(tmp_path, iterations=1, audit_every=1)
    return subprocess.run(
        run_argv(spec, tmp_path / "run", "--seed", "7"),
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(tmp_path, server.url),
    )


def _fatal(tmp_path: Path) -> ErrorRaised:
    events = read_events(Workspace(tmp_path / "run").events)
    last = events[-1]
    assert isinstance(last, RunFinished) and last.status == "failed"
    return next(e for e in events if isinstance(e, ErrorRaised) and e.fatal)


def test_a_refused_key_stops_the_run_at_once_with_the_fix(tmp_path: Path) -> None:
    with MessagesServer(RoleScript({}), api_key="sk-ant-the-right-one") as server:
        done = _run(tmp_path, server)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert len(server.received()) == 1  # no retries of a key the API refused
    error = _fatal(tmp_path)
    assert "refused the key (401)" in error.message
    assert "ANTHROPIC_API_KEY" in error.next_step
    assert "refused the key" in done.stdout + done.stderr
    assert KEY not in done.stdout + done.stderr


def test_an_unknown_model_names_the_spec_field_to_change(tmp_path: Path) -> None:
    script = RoleScript({"planner": [Error(404, "model: claude-opus-5-5 not found")] * 3})
    with MessagesServer(script, api_key=KEY) as server:
        done = _run(tmp_path, server)
    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    error = _fatal(tmp_path)
    assert "claude-opus-5-5" in error.message and "loop.models.planner" in error.next_step


def test_a_missing_or_too_old_cli_is_refused_before_the_run_with_the_fix(tmp_path: Path) -> None:
    old = tmp_path / "claude"
    old.write_text("#!/bin/sh\necho '2.1.100 (Claude Code)'\n")
    old.chmod(0o755)
    spec = write_card(tmp_path, iterations=1, audit_every=1)
    env = cli_env(tmp_path, "http://127.0.0.1:9")
    for cli, said in [
        (old, "is Claude Code 2.1.100, older than 2.1.248"),
        (tmp_path / "nowhere", "no Claude Code CLI at"),
    ]:
        argv = run_argv(spec, tmp_path / f"run-{cli.name}", "--claude-cli", str(cli))
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 2, done.stdout + done.stderr
        assert said in done.stderr and "--claude-cli PATH" in done.stderr
        assert not (tmp_path / f"run-{cli.name}").exists()  # refused before a workspace
