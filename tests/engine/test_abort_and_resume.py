"""Across processes: controls from a second terminal, abort during a benchmark leaving no
process behind, and kill -9 of the run followed by `jitskit resume` with nothing lost."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from enginekit import (
    LONG,
    alive,
    cli_env,
    descendants,
    headless_args,
    kill9,
    run_cli,
    start_cli,
    start_time,
    wait_for_event,
)

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_trailers
from jitskit_tui.protocol.events import (
    AgentText,
    BenchTickEvent,
    ControlReceived,
    EvalStarted,
    IterationAbandoned,
    IterationFinished,
    LoopStateChanged,
    RunFinished,
    RunResumed,
    SteeringApplied,
)

pytestmark = pytest.mark.slow


def test_abort_from_another_terminal_during_a_benchmark_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "long-run"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = cli_env(scratch)
    proc = start_cli(*headless_args(ws, LONG), env=env)
    try:
        events = ws / ".jitskit" / "events.jsonl"
        wait_for_event(events, lambda e: isinstance(e, BenchTickEvent), timeout=180)
        harness = {
            pid: start_time(pid)
            for pid, cmd in descendants(proc.pid).items()
            if "jitskit-harness" in cmd
        }
        assert harness, "the benchmark should be running"
        paused = run_cli("control", str(ws), "pause", env=env)
        assert paused.returncode == 0, paused.stderr
        assert "pausing" in paused.stdout
        aborted = run_cli("control", str(ws), "abort", env=env)
        assert aborted.returncode == 0, aborted.stderr
        assert proc.wait(timeout=60) == 4
    finally:
        if proc.poll() is None:
            kill9(proc)
    out = proc.stdout.read() if proc.stdout else ""
    assert "run aborted: aborted by the user during iteration 1" in out
    # Nothing the run started is left: not the harness, not the jail, not its scratch.
    # A zombie is dead; it only waits for PID 1 to collect its exit status.
    survivors = [pid for pid, started in harness.items() if alive(pid, started)]
    assert survivors == []
    assert list(scratch.iterdir()) == []
    logged = read_events(ws / ".jitskit" / "events.jsonl")
    kinds = [e.kind for e in logged if isinstance(e, ControlReceived)]
    assert kinds == ["pause", "abort"]
    assert isinstance(logged[-1], RunFinished) and logged[-1].status == "aborted"
    # The run is no longer live: controls say so.
    late = run_cli("control", str(ws), "resume", env=env)
    assert late.returncode == 3 and "not live" in late.stderr


def test_kill_9_then_resume_loses_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "tiny-run"
    proc = start_cli(*headless_args(ws))
    events_path = ws / ".jitskit" / "events.jsonl"
    try:
        # Iteration 2's coder runs build_and_test: pause it (it holds at the next tool
        # call, uncommitted), steer, and kill it there.
        wait_for_event(
            events_path,
            lambda e: isinstance(e, EvalStarted) and e.iteration == 2 and e.purpose == "tool",
        )
        assert run_cli("control", str(ws), "pause").returncode == 0
        steered = run_cli("control", str(ws), "steer", "try fewer shards", "--at", "next-iteration")
        assert steered.returncode == 0, steered.stderr
        steering_id = steered.stdout.split("steering ")[1].split()[0]
        wait_for_event(
            events_path, lambda e: isinstance(e, LoopStateChanged) and e.state == "paused"
        )
    finally:
        kill9(proc)
    before = read_events(events_path)
    assert not any(isinstance(e, RunFinished) for e in before)
    assert (ws / "store" / "store.cc").read_text().count("Iteration two") == 1  # uncommitted
    assert run_cli("runs", "--dir", str(tmp_path)).stdout.rstrip().endswith("crashed")

    resumed = run_cli("resume", str(ws), "--headless", "--no-baselines", "--seed", "7")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "redoing iteration 2" in resumed.stdout

    after = read_events(events_path)
    assert after[: len(before)] == before  # the first session's log is intact
    assert [e.seq for e in after] == list(range(1, len(after) + 1))
    resume = next(e for e in after if isinstance(e, RunResumed))
    assert resume.redo_iteration == 2 and resume.completed == 1
    abandoned = next(e for e in after if isinstance(e, IterationAbandoned))
    assert abandoned.iteration == 2 and abandoned.kept_ref
    # The pending steering survived the crash and reached the redone iteration's planner.
    applied = [e for e in after if isinstance(e, SteeringApplied) and e.steering_id == steering_id]
    assert [(e.iteration, e.role) for e in applied] == [(2, "planner")]
    assert "try fewer shards" in "".join(
        e.text for e in after if isinstance(e, AgentText) and e.role == "planner"
    )
    finished = [e.iteration for e in after if isinstance(e, IterationFinished)]
    assert finished == [1, 2, 3]
    repo = git.Repo(ws)
    numbers = [
        parse_trailers(str(c.message)).get("Jitskit-Iteration") for c in repo.iter_commits("main")
    ]
    assert numbers == ["3", "2", "1", None]  # none half-counted, none twice
    kept = repo.commit(abandoned.kept_ref)
    assert b"Iteration two" in kept.tree["store/store.cc"].data_stream.read()
    assert isinstance(after[-1], RunFinished) and after[-1].status == "finished"
