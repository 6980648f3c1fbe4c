"""A wait for the machine is part of the run's story: the engine logs it (`eval_queued`,
the loop state `queued` with where it waits), says it in the headless narration and the
app's status line, and says when the wait is over; then the evaluation goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

from enginekit import TRAJECTORY, new_workspace

from jitskit_tui.agents.registry import make_agent
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.protocol.events import EvalQueued, Event, LoopStateChanged
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.sandbox.turns import EvalTurns, TurnTakingMachine
from jitskit_tui.spec import load_spec
from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.widgets.status_bar import state_words

HOLDER = "another run (iteration 9)"


async def test_waiting_for_the_machine_is_logged_said_and_shown(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    turns = EvalTurns(tmp_path / "turns")
    held = await turns.take(HOLDER, "local", None)  # another run evaluates for a while
    agent = make_agent(
        "scripted", load_spec(ws.spec_file), {"pace": "instant", "trajectory": str(TRAJECTORY)}
    )
    machine = TurnTakingMachine(LocalMachine(), turns)
    engine = Engine(ws, agent, machine, EngineOptions(iterations=1, seed=7, control_poll_s=0.05))
    seen: list[Event] = []
    view = RunView()
    shown: list[str] = []

    def watch(event: Event) -> None:
        seen.append(event)
        view.apply(event)
        if isinstance(event, EvalQueued) and event.waiting and not shown:
            shown.append(state_words(view)[0])
            asyncio.get_running_loop().call_later(1.5, EvalTurns.give_back, held)

    engine.log.subscribe(watch)
    finished = await asyncio.wait_for(engine.run(), 300)
    assert finished.status == "finished"

    waits = [e for e in read_events(ws.events) if isinstance(e, EvalQueued)]
    assert waits[0].waiting and waits[0].where == "local"
    assert waits[0].text == f"queued on local, next in line ({HOLDER} is evaluating)"
    ended = next(e for e in waits if not e.waiting)
    assert ended.waited_s >= 1.0
    states = [e for e in seen if isinstance(e, LoopStateChanged)]
    at = next(i for i, e in enumerate(states) if e.state == "queued")
    assert states[at].detail == f"on local, next in line ({HOLDER} is evaluating)"
    assert states[at + 1].state == states[at - 1].state  # what the wait interrupted goes on
    assert shown[0] == f"QUEUED (on local, next in line ({HOLDER} is evaluating))"

    narrator = Narrator()
    lines = [line for e in seen if (line := narrator.line(e)) is not None]
    assert f"  queued on local, next in line ({HOLDER} is evaluating)" in lines
    assert any(line.startswith("  the machine is ours after ") for line in lines)
    notes = [b.title for b in view.transcript.blocks]
    assert any(HOLDER in (title or "") for title in notes)
