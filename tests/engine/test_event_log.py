"""The event log: stamped appends, replay, tolerance of damage, and following it live."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jitskit_tui.engine.eventlog import EventLog, follow_events, read_events
from jitskit_tui.protocol.events import (
    AgentText,
    ErrorRaised,
    Event,
    LogCorrupt,
    LoopStateChanged,
    RunFinished,
)


def test_appended_events_are_numbered_timestamped_and_replayed(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    live: list[Event] = []
    log.subscribe(live.append)
    log.append(LoopStateChanged(state="planning"))
    log.append(AgentText(iteration=1, role="planner", text="Hello"))
    log.close()
    replayed = read_events(tmp_path / "events.jsonl")
    assert replayed == live
    assert [e.seq for e in replayed] == [1, 2]
    assert all(e.ts > 0 for e in replayed)


def test_a_partial_last_line_is_cut_and_numbering_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    log.append(LoopStateChanged(state="planning"))
    log.close()
    with path.open("ab") as handle:
        handle.write(b'{"type": "agent_text", "role": "plan')  # the writer died here
    assert len(read_events(path)) == 1
    log = EventLog(path)
    event = log.append(LoopStateChanged(state="coding"))
    log.close()
    assert event.seq == 2
    assert [e.seq for e in read_events(path)] == [1, 2]


def test_malformed_lines_become_notices_not_crashes(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"type": "loop_state", "seq": 1, "ts": 1.0, "state": "planning"}\n'
        "this is not json\n"
        '{"type": "from_the_future", "seq": 2, "ts": 2.0}\n'
        '{"type": "loop_state", "seq": 3, "ts": 3.0, "state": "nonsense"}\n'
    )
    events = read_events(path)
    assert isinstance(events[0], LoopStateChanged)
    notices = [e for e in events if isinstance(e, LogCorrupt)]
    assert [n.line for n in notices] == [2, 3, 4]
    assert "not valid JSON" in notices[0].reason
    assert "unknown event type" in notices[1].reason
    assert "state" in notices[2].reason


def test_a_listener_that_raises_does_not_stop_the_log(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")

    def broken(event: Event) -> None:
        raise RuntimeError("client bug")

    log.subscribe(broken)
    log.append(LoopStateChanged(state="planning"))
    log.close()
    assert len(read_events(tmp_path / "events.jsonl")) == 1


async def test_follow_sees_new_events_and_waits_for_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    log.append(LoopStateChanged(state="planning"))
    seen: list[Event] = []

    async def follow() -> None:
        async for event in follow_events(
            path, poll_s=0.02, stop_when=lambda e: isinstance(e, RunFinished)
        ):
            seen.append(event)

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.1)
    assert [e.seq for e in seen] == [1]
    # Half a line must not be yielded until its newline arrives.
    with path.open("ab") as handle:
        handle.write(b'{"type": "error", "seq": 2, "ts": 2.0, "where": "x", ')
        handle.flush()
        await asyncio.sleep(0.1)
        assert len(seen) == 1
        handle.write(b'"message": "half"}\n')
    log = EventLog(path)
    log.append(RunFinished(status="finished", reason="done", completed=0))
    log.close()
    await asyncio.wait_for(task, 5)
    assert isinstance(seen[1], ErrorRaised) and seen[1].message == "half"
    assert isinstance(seen[-1], RunFinished)
