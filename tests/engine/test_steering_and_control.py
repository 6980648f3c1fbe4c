"""Controls in-process: steering at both delivery points (and cancelling it), pause and
resume, fork, and the live event stream equal to its replay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import git
import pytest
from enginekit import new_workspace, open_engine, wait_until

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_trailers
from jitskit_tui.protocol.controls import CancelSteer, Fork, Pause, Resume, Steer, Stop
from jitskit_tui.protocol.events import (
    AgentText,
    BranchForked,
    ControlReceived,
    Event,
    IterationStarted,
    LoopStateChanged,
    SteeringApplied,
    SteeringCancelled,
    ToolCallStarted,
)

pytestmark = pytest.mark.slow


async def test_steering_reaches_the_planner_and_the_next_tool_and_replays_equal(
    tmp_path: Path,
) -> None:
    ws = new_workspace(tmp_path)
    engine = open_engine(ws, iterations=1)
    live: list[Event] = []
    engine.log.subscribe(live.append)
    late_cancel: list[Event] = []

    def cancel_once_applied(event: Event) -> None:
        if isinstance(event, SteeringApplied) and event.steering_id == "plan1":
            late_cancel.append(engine.handle_control(CancelSteer(steering_id="plan1")))

    engine.log.subscribe(cancel_once_applied)
    await engine.control(Steer(id="plan1", text="favour a hash table", at="next-iteration"))
    await engine.control(Steer(id="tool1", text="keep the file small", at="next-tool"))
    await engine.control(Steer(id="gone1", text="never mind", at="next-iteration"))
    cancelled = await engine.control(CancelSteer(steering_id="gone1"))
    assert isinstance(cancelled, ControlReceived) and cancelled.accepted
    finished = await engine.run()
    assert finished.status == "finished"

    applied = {e.steering_id: e for e in live if isinstance(e, SteeringApplied)}
    assert applied["plan1"].role == "planner" and applied["plan1"].delivery == "next-iteration"
    assert applied["tool1"].role == "coder" and applied["tool1"].delivery == "next-tool"
    assert "gone1" not in applied
    assert any(isinstance(e, SteeringCancelled) and e.steering_id == "gone1" for e in live)
    # Applied after the coder's first tool call, not before it.
    first_tool = next(i for i, e in enumerate(live) if isinstance(e, ToolCallStarted))
    tool_applied = next(i for i, e in enumerate(live) if e is applied["tool1"])
    assert tool_applied > first_tool
    # The scripted agent acknowledges both in its transcript.
    said = {
        role: "".join(e.text for e in live if isinstance(e, AgentText) and e.role == role)
        for role in ("planner", "coder")
    }
    assert "favour a hash table" in said["planner"]
    assert "keep the file small" in said["coder"]
    assert "favour a hash table" in (ws.whiteboard).read_text()
    # Withdrawing steering once it was applied is refused, and says to whom it went.
    refusal = late_cancel[0]
    assert isinstance(refusal, ControlReceived) and not refusal.accepted
    assert "already applied to the planner" in refusal.message
    # The live stream and its replay are the same events.
    assert read_events(ws.events) == live


async def test_pause_holds_the_loop_until_resume(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = open_engine(ws, iterations=1)
    live: list[Event] = []
    engine.log.subscribe(live.append)
    await engine.control(Pause())
    run = asyncio.create_task(engine.run())
    await wait_until(
        lambda: any(isinstance(e, LoopStateChanged) and e.state == "paused" for e in live)
    )
    await asyncio.sleep(0.5)
    assert not any(isinstance(e, IterationStarted) for e in live)
    again = await engine.control(Pause())
    assert isinstance(again, ControlReceived) and again.message == "already paused"
    await engine.control(Resume())
    finished = await asyncio.wait_for(run, 120)
    assert finished.status == "finished" and finished.completed == 1


async def test_stop_ends_the_run_after_the_current_iteration(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = open_engine(ws, iterations=3)
    sent = False

    def stop_in_first(event: Event) -> None:
        nonlocal sent
        if isinstance(event, ToolCallStarted) and not sent:
            sent = True
            engine.handle_control(Stop())

    engine.log.subscribe(stop_in_first)
    finished = await asyncio.wait_for(engine.run(), 120)
    assert finished.status == "stopped"
    assert finished.completed == 1


async def test_fork_continues_from_an_earlier_iteration_on_a_new_branch(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = open_engine(ws, iterations=3)
    refused = await engine.control(Fork(from_iteration=5))
    assert isinstance(refused, ControlReceived) and not refused.accepted

    def fork_during_second(event: Event) -> None:
        if isinstance(event, IterationStarted) and event.iteration == 2:
            engine.handle_control(Fork(from_iteration=1))

    engine.log.subscribe(fork_during_second)
    finished = await asyncio.wait_for(engine.run(), 180)
    assert finished.completed == 3
    events = read_events(ws.events)
    fork = next(e for e in events if isinstance(e, BranchForked))
    assert fork.from_iteration == 1 and fork.branch == "fork-1"
    third = next(e for e in events if isinstance(e, IterationStarted) and e.iteration == 3)
    assert (third.parent_iteration, third.step, third.branch) == (1, 2, "fork-1")
    repo = git.Repo(ws.root)
    tip = repo.commit("fork-1")
    assert str(tip.message).startswith("iteration 3: Comment the shard layout")
    assert parse_trailers(str(tip.parents[0].message))["Jitskit-Iteration"] == "1"
    assert str(repo.commit("main").message).startswith("iteration 2:")
    # The fork starts from iteration 1's store: step 2's edit applies again cleanly.
    assert "Iteration two" in (ws.store / "store.cc").read_text()
