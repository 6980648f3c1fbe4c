"""The watchdog calls a store deadlocked only when no operation completed for 10 s, slow
when its phase's budget ran out while it kept going, and otherwise lets it finish.

A fake clock drives the harness's events as they would arrive; the real harness and
stores drive it in test_bounded_verdicts.py.
"""

from __future__ import annotations

from jitskit_tui.harness.watchdog import Plan, Watchdog
from jitskit_tui.protocol.results import PhaseBudget, PhaseProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LOAD = PhaseBudget(
    phase="load", seconds=120.0, allowance_s=20.0, work=1_000_000, unit="records", rate=10_000
)
RUN = PhaseBudget(phase="run", seconds=25.0, allowance_s=25.0)
VERIFY = PhaseBudget(phase="verify", seconds=12.0, allowance_s=10.0, work=15_626, unit="keys")


def bench_watchdog(clock: Clock, seen: list[PhaseProgress] | None = None) -> Watchdog:
    plan = Plan(
        budgets={"load": LOAD, "run": RUN, "verify": VERIFY},
        default="load",
        steps={"run": "run", "verify": "verify", "close": "verify"},
        totals={"run": 1_000_000},
    )
    return Watchdog(plan, report=seen.append if seen is not None else None, clock=clock)


def progress(phase: str, done: int, total: int) -> dict[str, object]:
    return {"event": "progress", "phase": phase, "done": done, "total": total, "t_s": 0.0}


def test_a_load_that_stops_completing_records_is_a_deadlock_after_10_s() -> None:
    clock = Clock()
    dog = bench_watchdog(clock)
    dog.on_event(progress("open", 1, 1))
    dog.on_event(progress("load", 212_000, 1_000_000))
    while clock.now - 1000.0 < 10.25:  # ticks keep coming, the count does not move
        assert dog.check() is None
        clock.now += 0.25
        dog.on_event(progress("load", 212_000, 1_000_000))
    stopped = dog.check()
    assert stopped is not None and stopped.kind == "deadlock"
    assert stopped.detail == (
        "load: no operation completed for 10 s after 212k of 1M records: "
        "the store is deadlocked or blocked"
    )


def test_an_open_that_never_returns_is_a_deadlock_naming_open() -> None:
    clock = Clock()
    dog = bench_watchdog(clock)
    dog.on_event(progress("open", 0, 1))
    clock.now += 10.5
    dog.on_event(progress("open", 0, 1))
    stopped = dog.check()
    assert stopped is not None and stopped.kind == "deadlock"
    assert stopped.detail.startswith("load: Open did not return within 10 s")


def test_a_load_slower_than_the_floor_is_slow_with_its_rate_and_the_budget() -> None:
    clock = Clock()
    seen: list[PhaseProgress] = []
    dog = bench_watchdog(clock, seen)
    dog.on_event(progress("open", 1, 1))
    done = 0
    while clock.now - 1000.0 < 120.0:
        clock.now += 0.5
        done += 900  # 1.8k records/s
        dog.on_event(progress("load", done, 1_000_000))
        assert dog.check() is None
    clock.now += 0.5
    stopped = dog.check()
    assert stopped is not None and stopped.kind == "slow" and stopped.phase == "load"
    assert stopped.detail.startswith("load: 216k of 1M records in 120 s, 1.8k records/s; ")
    assert "at this rate 9.3 min" in stopped.detail
    assert stopped.detail.endswith("budget 2 min = 20 s + 1M records at the 10k/s floor")
    assert seen[-1].text() == "load 216k/1M records · 1.8k/s · budget 2 min"


def test_a_slow_store_that_finishes_within_each_budget_is_never_stopped() -> None:
    clock = Clock()
    dog = bench_watchdog(clock)
    for step, total, seconds in (("load", 1_000_000, 110), ("verify", 15_626, 11)):
        start = clock.now
        while clock.now - start < seconds:
            clock.now += 1.0
            done = int(total * (clock.now - start) / seconds)
            dog.on_event(progress(step, min(done, total), total))
            assert dog.check() is None
        if step == "load":
            for t in range(1, 21):  # the run: 20 s of ticks
                clock.now += 1.0
                dog.on_event({"event": "tick", "t_s": float(t), "ops": 2000 * t, "ops_s": 2000})
                assert dog.check() is None
    assert dog.run_ops_s == 2000


def test_a_gate_without_a_known_total_says_how_many_calls_it_made() -> None:
    clock = Clock()
    budget = PhaseBudget(
        phase="api", seconds=115.0, allowance_s=15.0, work=100_000, unit="store calls", rate=1000
    )
    dog = Watchdog(Plan.whole("api", budget), clock=clock)
    calls = 0
    while clock.now - 1000.0 < 116.0:
        assert dog.check() is None
        clock.now += 1.0
        calls += 400
        dog.on_event(progress("gate-api", calls, 0))
    stopped = dog.check()
    assert stopped is not None and stopped.kind == "slow"
    assert stopped.detail.startswith("api: 46k store calls in 116 s, 403 store calls/s; budget")
    assert "at this rate" not in stopped.detail


def test_a_process_that_prints_no_progress_is_held_to_its_budget_only() -> None:
    clock = Clock()
    budget = PhaseBudget(phase="durability", seconds=105.0, allowance_s=105.0)
    dog = Watchdog(Plan.whole("durability", budget, counts=False), clock=clock)
    clock.now += 100.0
    assert dog.check() is None
    clock.now += 6.0
    stopped = dog.check()
    assert stopped is not None and stopped.kind == "slow"
    assert stopped.detail == "durability: not finished after 106 s; budget 1.8 min = 1.8 min"
