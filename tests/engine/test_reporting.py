"""Reporting: benchmark ticks coalesced in the log, and the headless narration."""

from __future__ import annotations

import time

from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.reporting import EvalEvents
from jitskit_tui.protocol.events import (
    BenchTickEvent,
    ControlReceived,
    Event,
    GateResulted,
    LoopState,
    SteeringReceived,
)
from jitskit_tui.protocol.results import BenchTick


def test_a_burst_of_ticks_is_coalesced_to_a_few_a_second() -> None:
    logged: list[Event] = []
    states: list[LoopState] = []

    def emit(event: Event) -> Event:
        logged.append(event)
        return event

    events = EvalEvents(emit, states.append, "iteration", 1)
    events.on_step("benchmark")
    start = time.monotonic()
    for i in range(2000):
        events.on_tick(BenchTick(t_s=i / 1000, ops=i, ops_s=1e6, per_op={"read": i}))
    elapsed = time.monotonic() - start
    ticks = [e for e in logged if isinstance(e, BenchTickEvent)]
    assert 1 <= len(ticks) <= 1 + elapsed / 0.24
    assert states == ["benchmarking"]


def test_narration_says_what_matters() -> None:
    narrator = Narrator()
    gate = GateResulted(
        iteration=2,
        purpose="iteration",
        name="concurrency",
        passed=False,
        detail="stale read:\nRead of key 0x1 returned an old value",
    )
    assert narrator.line(gate) == (
        "  FAIL concurrency  stale read: Read of key 0x1 returned an old value"
    )
    steer = SteeringReceived(
        steering_id="s1", text="try a seqlock", delivery="next-tool", source="tui"
    )
    assert narrator.line(steer) == "steering s1 (next-tool) from tui: try a seqlock"
    refused = ControlReceived(
        control_id="c",
        kind="fork",
        source="cli",
        accepted=False,
        message="iteration 9 is not a committed iteration",
    )
    assert narrator.line(refused) == (
        "control fork from cli: refused: iteration 9 is not a committed iteration"
    )
    tick = BenchTickEvent(purpose="iteration", t_s=1.0, ops=10, ops_s=10.0)
    assert narrator.line(tick) is None
