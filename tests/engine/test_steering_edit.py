"""Editing pending steering is one control, atomic against its delivery: a pending steer
is replaced in place (the agent sees only the new text); one the loop handed over first
is refused, with the new text carried back, and nothing is applied twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from enginekit import new_workspace, open_engine

from jitskit_tui.engine.evaluation import Bench
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.tool_host import IterationToolHost
from jitskit_tui.protocol.controls import CancelSteer, EditSteer, Steer
from jitskit_tui.protocol.events import (
    AgentText,
    ControlReceived,
    Event,
    SteeringApplied,
    SteeringEdited,
    SteeringEditRefused,
    SteeringReceived,
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    engine = open_engine(new_workspace(tmp_path), iterations=1)
    yield engine
    await engine.close()


def tool_host(engine: Engine) -> IterationToolHost:
    """What the first iteration's tools would reach: the steering handover among them."""
    return IterationToolHost(engine.context, Bench(engine.machine), n=1, parent=0)


def logged(engine: Engine) -> list[Event]:
    return read_events(engine.ws.events)


async def test_a_pending_steer_is_edited_in_place(engine: Engine) -> None:
    await engine.control(Steer(id="s1", text="use a hash table", at="next-iteration"))
    ack = await engine.control(EditSteer(steering_id="s1", text="use a skip list", at="next-tool"))
    assert ack.accepted and ack.kind == "edit-steer"
    assert "s1 edited" in ack.message and "next tool boundary" in ack.message
    (only,) = engine.state.steering.values()
    assert (only.id, only.text, only.delivery, only.state, only.edits) == (
        "s1",
        "use a skip list",
        "next-tool",
        "pending",
        1,
    )
    # The loop hands over the new text only, once.
    tools = tool_host(engine)
    assert [(s.id, s.text) for s in tools.take_tool_steering("coder")] == [
        ("s1", "use a skip list")
    ]
    assert tools.take_tool_steering("coder") == []
    events = logged(engine)
    assert [e.text for e in events if isinstance(e, SteeringEdited)] == ["use a skip list"]
    assert sum(isinstance(e, SteeringApplied) for e in events) == 1
    # Replaying the log gives the same steering.
    assert RunState.from_events(events).steering == engine.state.steering


async def test_an_edit_keeps_the_delivery_when_none_is_given(engine: Engine) -> None:
    await engine.control(Steer(id="s1", text="first", at="next-tool"))
    assert (await engine.control(EditSteer(steering_id="s1", text="second"))).accepted
    assert engine.state.steering["s1"].delivery == "next-tool"


async def test_an_edit_after_the_loop_applied_the_steer_is_refused_with_the_text(
    engine: Engine,
) -> None:
    await engine.control(Steer(id="s1", text="keep the file small", at="next-tool"))
    tools = tool_host(engine)
    handed = tools.take_tool_steering("coder")  # the loop got there first
    ack = await engine.control(EditSteer(steering_id="s1", text="split the file"))
    assert not ack.accepted
    assert "already applied to the coder" in ack.message
    assert "send it as new steering" in ack.message
    refused = [e for e in logged(engine) if isinstance(e, SteeringEditRefused)]
    assert len(refused) == 1
    assert (refused[0].text, refused[0].was, refused[0].applied_to) == (
        "split the file",
        "applied",
        "coder",
    )
    # Nothing was queued again: the old text went once, the new one never.
    assert [s.text for s in handed] == ["keep the file small"]
    assert tools.take_tool_steering("coder") == []
    assert engine.state.pending_steering() == []
    assert engine.state.steering["s1"].text == "keep the file small"
    events = logged(engine)
    assert sum(isinstance(e, SteeringApplied) for e in events) == 1
    assert [e.text for e in events if isinstance(e, SteeringReceived)] == ["keep the file small"]


async def test_an_edit_of_cancelled_or_unknown_steering_is_refused_with_the_text(
    engine: Engine,
) -> None:
    await engine.control(Steer(id="s1", text="old", at="next-iteration"))
    await engine.control(CancelSteer(steering_id="s1"))
    cancelled = await engine.control(EditSteer(steering_id="s1", text="new"))
    unknown = await engine.control(EditSteer(steering_id="nope", text="other"))
    assert not cancelled.accepted and "was already cancelled" in cancelled.message
    assert not unknown.accepted and "no steering with id nope" in unknown.message
    refused = [
        (e.steering_id, e.was, e.text) for e in logged(engine) if isinstance(e, SteeringEditRefused)
    ]
    assert refused == [("s1", "cancelled", "new"), ("nope", "unknown", "other")]
    assert engine.state.pending_steering() == []


@pytest.mark.slow
async def test_in_a_real_run_the_agents_see_only_the_edited_text(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = open_engine(ws, iterations=1)
    late: list[ControlReceived] = []

    def edit_once_applied(event: Event) -> None:
        # The edit arrives just after the loop handed the steer to the coder.
        if isinstance(event, SteeringApplied) and event.steering_id == "tool1":
            late.append(engine.handle_control(EditSteer(steering_id="tool1", text="TOO LATE")))

    engine.log.subscribe(edit_once_applied)
    await engine.control(Steer(id="plan1", text="favour a hash table", at="next-iteration"))
    await engine.control(Steer(id="tool1", text="keep the file small", at="next-tool"))
    edited = await engine.control(EditSteer(steering_id="plan1", text="favour a sorted array"))
    assert edited.accepted
    finished = await asyncio.wait_for(engine.run(), 180)
    assert finished.status == "finished"

    events = read_events(ws.events)
    said = {
        role: "".join(e.text for e in events if isinstance(e, AgentText) and e.role == role)
        for role in ("planner", "coder")
    }
    assert "favour a sorted array" in said["planner"]
    assert "favour a hash table" not in said["planner"] + said["coder"]
    assert "favour a sorted array" in ws.whiteboard.read_text()
    # The late edit is refused and applies nothing; each steer was applied exactly once.
    assert len(late) == 1 and not late[0].accepted
    assert "TOO LATE" not in said["planner"] + said["coder"]
    applied = [e.steering_id for e in events if isinstance(e, SteeringApplied)]
    assert sorted(applied) == ["plan1", "tool1"]
    refused = next(e for e in events if isinstance(e, SteeringEditRefused))
    assert refused.text == "TOO LATE" and refused.applied_to == "coder"
