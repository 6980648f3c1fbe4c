"""Controls across processes (the inbox and the lock), the state folded from events, and
the git trailers every iteration carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jitskit_tui.engine.gitrepo import Trailers, parse_trailers
from jitskit_tui.engine.inbox import NotLive, drain_inbox, send_control
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import (
    RunLock,
    Workspace,
    WorkspaceError,
    find_workspace,
    live_engine,
    new_workspace_dir,
)
from jitskit_tui.protocol.controls import Pause, Steer
from jitskit_tui.protocol.events import (
    Event,
    IterationAbandoned,
    IterationFinished,
    IterationStarted,
    RunFinished,
    RunResumed,
    RunStarted,
    SteeringApplied,
    SteeringCancelled,
    SteeringReceived,
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / ".jitskit").mkdir()
    (tmp_path / ".jitskit" / "events.jsonl").write_text("")
    return Workspace(tmp_path)


def test_a_control_for_a_run_that_is_not_live_says_so(ws: Workspace) -> None:
    with pytest.raises(NotLive, match="not live"):
        send_control(ws, Pause())
    assert not ws.control.exists() or not list(ws.control.iterdir())


def test_controls_are_dropped_atomically_and_taken_once(ws: Workspace) -> None:
    lock = RunLock(ws)
    lock.acquire()
    try:
        assert live_engine(ws) is not None
        send_control(ws, Pause(source="test"))
        send_control(ws, Steer(text="try a hash table", at="next-tool"))
        (ws.control / "zz-broken.json").write_text('{"kind": "explode"}')
        (ws.control / ".tmp-half.json").write_text("{")  # still being written: ignored
        items = drain_inbox(ws)
        assert [type(i.control).__name__ for i in items] == ["Pause", "Steer", "NoneType"]
        assert "not a control" in items[2].problem
        assert drain_inbox(ws) == []
        assert [p.name for p in ws.control.iterdir()] == [".tmp-half.json"]
    finally:
        lock.release()
    assert live_engine(ws) is None


def test_a_second_engine_is_refused_while_the_first_lives(ws: Workspace) -> None:
    first = RunLock(ws)
    first.acquire()
    try:
        with pytest.raises(WorkspaceError, match="live"):
            RunLock(ws).acquire()
        info = json.loads(ws.lock_file.read_text())
        assert info["pid"] > 0
    finally:
        first.release()
    second = RunLock(ws)
    second.acquire()  # a released (or dead) holder's lock is taken over
    second.release()


def _finished(n: int, ops: float, best: bool, verdict: str = "pass") -> IterationFinished:
    return IterationFinished(
        iteration=n,
        outcome="evaluated",
        summary=f"try {n}",
        verdict="pass" if verdict == "pass" else "fail",
        throughput_ops_s=ops,
        commit=f"sha{n}",
        branch="main",
        parent_iteration=n - 1,
        is_best=best,
    )


def check_running(state: RunState) -> None:
    assert state.status == "running"


def test_state_folds_iterations_best_steering_and_stints() -> None:
    events: list[Event] = [
        RunStarted(
            seq=1,
            ts=100.0,
            run_id="r",
            spec_name="tiny",
            spec_sha256="x",
            agent="scripted",
            machine="local",
            iterations=3,
            workspace="/w",
            pid=1,
        ),
        SteeringReceived(
            seq=2, ts=101.0, steering_id="a", text="A", delivery="next-iteration", source="t"
        ),
        SteeringReceived(
            seq=3, ts=101.0, steering_id="b", text="B", delivery="next-tool", source="t"
        ),
        SteeringReceived(
            seq=4, ts=101.0, steering_id="c", text="C", delivery="next-tool", source="t"
        ),
        IterationStarted(seq=5, ts=102.0, iteration=1, parent_iteration=0, step=1, branch="main"),
        SteeringApplied(
            seq=6, ts=103.0, iteration=1, steering_id="a", role="planner", delivery="next-iteration"
        ),
        SteeringCancelled(seq=7, ts=103.0, steering_id="c", source="t"),
        _finished(1, 1000.0, True),
        IterationStarted(seq=9, ts=110.0, iteration=2, parent_iteration=1, step=2, branch="main"),
        _finished(2, 900.0, False, verdict="fail"),
        IterationStarted(seq=11, ts=120.0, iteration=3, parent_iteration=2, step=3, branch="main"),
    ]
    state = RunState.from_events(events)
    check_running(state)
    assert state.completed == 2
    assert state.best_iteration == 1 and state.best_ops_s == 1000.0
    assert [s.id for s in state.pending_steering()] == ["b"]
    assert state.steering["a"].applied_to == "planner"
    assert state.running_iteration() is not None
    # The process died in iteration 3; the next session abandons and redoes it.
    state.apply(
        RunResumed(
            seq=12,
            ts=200.0,
            agent="scripted",
            machine="local",
            iterations=3,
            completed=2,
            redo_iteration=3,
            pid=2,
        )
    )
    state.apply(IterationAbandoned(seq=13, ts=200.0, iteration=3, reason="interrupted"))
    assert state.stints[0].status == "crashed"
    assert state.next_iteration_number() == 3
    state.apply(RunFinished(seq=14, ts=210.0, status="stopped", reason="stopped", completed=2))
    assert state.status == "stopped"
    assert state.active_seconds == pytest.approx(20.0 + 10.0)


def test_trailers_render_and_parse() -> None:
    trailers = Trailers(
        iteration=4,
        verdict="fail",
        throughput_ops_s=1234567.8,
        ratio=None,
        failed_gates=["concurrency", "audit/rmw-adds-up"],
    )
    message = f"iteration 4: try\n\nPlan: x\n\n{trailers.render()}"
    parsed = parse_trailers(message)
    assert parsed["Jitskit-Verdict"] == "fail"
    assert parsed["Jitskit-Throughput"] == "1234568"
    assert parsed["Jitskit-Ratio"] == "unknown"
    assert parsed["Jitskit-Failed-Gates"] == "concurrency,audit/rmw-adds-up"


def test_runs_started_in_the_same_second_never_share_a_workspace(tmp_path: Path) -> None:
    made = {new_workspace_dir("demo", tmp_path) for _ in range(20)}
    assert len(made) == 20
    assert all(p.name.startswith("demo-") and p.is_dir() for p in made)


def test_a_run_is_found_by_path_name_or_unique_prefix(tmp_path: Path) -> None:
    for name in ("demo-20250101T000000Z-aaaa", "demo-20250101T000000Z-bbbb", "other-1"):
        (tmp_path / name / ".jitskit").mkdir(parents=True)
        (tmp_path / name / ".jitskit" / "events.jsonl").write_text("")
    assert find_workspace("other", tmp_path).name == "other-1"
    assert find_workspace(str(tmp_path / "other-1"), tmp_path).name == "other-1"
    with pytest.raises(WorkspaceError, match="matches 2 runs"):
        find_workspace("demo", tmp_path)
    with pytest.raises(WorkspaceError, match="no run named"):
        find_workspace("nothing", tmp_path)
