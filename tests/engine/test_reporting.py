"""Reporting: benchmark ticks coalesced in the log, and the headless narration."""

from __future__ import annotations

import time
from dataclasses import replace

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


def test_each_trial_and_its_warm_up_cut_reach_the_log_however_fast_ticks_come() -> None:
    logged: list[Event] = []
    events = EvalEvents(lambda e: logged.append(e) or e, lambda state: None, "iteration", 1)
    for trial, side in enumerate(("candidate", "incumbent", "candidate")):
        for i in range(30):  # a burst: the throttle would keep only the first
            tick = BenchTick(t_s=i / 10, ops=i, ops_s=1e6, per_op={}, warm=i <= 5)
            events.on_tick(replace(tick, side=side, trial=trial))
    ticks = [e for e in logged if isinstance(e, BenchTickEvent)]
    stretches = {(t.side, t.trial, t.warm) for t in ticks}
    assert stretches == {
        ("candidate", 0, True),
        ("candidate", 0, False),
        ("incumbent", 1, True),
        ("incumbent", 1, False),
        ("candidate", 2, True),
        ("candidate", 2, False),
    }
    cut = next(t for t in ticks if t.trial == 0 and not t.warm)
    assert cut.t_s == 0.6, "the first steady tick is the one after the cut"


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
