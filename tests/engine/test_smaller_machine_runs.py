"""A run whose card asks for more than the machine has is refused before any agent works
(exit 3, naming the CPUs); resumed with --allow-smaller-machine it runs, keeps the
choice with the run, and every commit says its figures came from a smaller machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import git
import pytest
from enginekit import TINY, cli_env, headless_args, run_cli

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import IterationStarted

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("g++") is None or shutil.which("bwrap") is None,
        reason="needs g++ and bubblewrap",
    ),
]


def test_refused_then_allowed_on_resume_with_the_mark_in_every_commit(tmp_path: Path) -> None:
    cpus = len(os.sched_getaffinity(0))
    card = tmp_path / "big.yaml"
    card.write_text(TINY.read_text().replace("cpus: 2", f"cpus: {cpus + 1}"))
    ws = tmp_path / "run"
    env = cli_env(tmp_path / "scratch")
    (tmp_path / "scratch").mkdir()

    refused = run_cli(*headless_args(ws, card, "--iterations", "1"), env=env)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    said = refused.stdout + refused.stderr
    assert f"it needs {cpus + 1} CPUs, the machine has {cpus} CPU" in said
    assert "--allow-smaller-machine" in said
    events = read_events(ws / ".jitskit" / "events.jsonl")
    assert not any(isinstance(e, IterationStarted) for e in events)

    allowed = run_cli(
        "resume", str(ws), "--headless", "--iterations", "1", "--allow-smaller-machine",
        "--no-baselines", "--seed", "7", env=env, timeout=300,
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "measured on a smaller machine than the card" in allowed.stdout
    state = RunState.from_events(read_events(ws / ".jitskit" / "events.jsonl"))
    assert state.allow_smaller_machine and state.completed == 1
    message = git.Repo(ws).commit(state.iterations[1].commit).message
    assert f"Jitskit-Smaller-Machine: yes (card {cpus + 1} CPUs, machine {cpus})" in message
