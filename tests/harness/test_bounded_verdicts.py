"""Real stores held to their budgets by the real evaluator: a store whose writes stop is
called deadlocked 10 s later, naming the phase and how far it got; one slower than the
floor is stopped as slow when its phase's budget runs out, with its rate and the
budget's formula; the rest of the evaluation goes on.

The cards are small and their floor high (10k/s), so the slow path is reached in the
load's 20 s allowance instead of minutes; docs/evaluation.md states the formula.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from paced_store import CRAWL_PAST, STUCK_AFTER, STUCK_OPEN, paced_store

from jitskit_tui.harness.eval_run import EvalRequest, QuietObserver
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.protocol.results import EvalBudget, EvalResult, GateResult, PhaseProgress
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import SpecCard, load_spec_text

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("g++") is None or shutil.which("bwrap") is None,
        reason="needs g++ and bubblewrap",
    ),
]

RECORDS = 40_000
PAST_THE_CANARY = 27_000
"""The pace changes beyond this many keys: past the api gate's 8192 and the canary's
load (at most 65% of the records), so only the benchmark's load meets it."""


def card(records: int = RECORDS) -> SpecCard:
    return load_spec_text(
        f"""\
name: paced
requirement: {{operations: [read, upsert, delete, read_modify_write], durability: none}}
environment: {{cpus: 2, memory_limit: 1GiB, store_memory_budget: 256MiB}}
workload:
  mix: {{read: 0.5, update: 0.4, read_modify_write: 0.1}}
  distribution: {{kind: zipfian, constant: 0.99}}
  record_count: {records}
  operation_count: 1M
  duration: 1s
  value_size: 64
  threads: 2
loop:
  quick: {{operation_count: 1M, duration: 1s}}
  floor_rate: 10k/s
""",
        file="paced.yaml",
    )


class Seen(QuietObserver):
    def __init__(self) -> None:
        self.budget: EvalBudget | None = None
        self.progress: list[PhaseProgress] = []
        self.gates: list[GateResult] = []
        self.api = asyncio.Event()

    def on_budget(self, budget: EvalBudget) -> None:
        self.budget = budget

    def on_progress(self, progress: PhaseProgress) -> None:
        self.progress.append(progress)

    def on_gate(self, gate: GateResult) -> None:
        self.gates.append(gate)
        if gate.name == "api":
            self.api.set()


def run(store: Path, seen: Seen) -> EvalResult:
    request = EvalRequest(spec=card(), store_dir=store, seed=11)
    return asyncio.run(evaluate(request, LocalMachine(), seen))


def gate(result: EvalResult, name: str) -> GateResult:
    return next(g for g in result.gates if g.name == name)


def test_writes_that_stop_mid_run_are_a_deadlock_and_what_ran_does_not_count(
    tmp_path: Path,
) -> None:
    # The load's last 13k upserts pass, then 7k of the run's updates, then none returns.
    pace = STUCK_AFTER.format(keys=PAST_THE_CANARY, writes=20_000)
    seen = Seen()
    result = run(paced_store(tmp_path / "store", upsert_pace=pace), seen)
    benchmark = gate(result, "benchmark")
    assert not benchmark.passed and result.verdict == "fail"
    detail = benchmark.detail
    assert detail.startswith("the benchmark was stopped: run: no operation completed for 10 s "
                             "after "), detail  # fmt: skip
    # A trial runs for its time, not a count of operations: the count has no total.
    assert " operations: the store is deadlocked or blocked; the " in detail
    assert detail.endswith(" ops/s measured before that does not count")
    assert result.throughput_ops_s > 0 and not result.counts
    # The other gates ran and passed: a deadlocked run costs its 10 s, not the evaluation.
    assert gate(result, "api").passed and gate(result, "memory").passed


def test_a_load_slower_than_the_floor_is_slow_naming_its_rate_and_budget(
    tmp_path: Path,
) -> None:
    pace = CRAWL_PAST.format(keys=PAST_THE_CANARY, ms=5)
    store = paced_store(tmp_path / "store", upsert_pace=pace)
    seen = Seen()
    result = run(store, seen)
    assert seen.budget is not None and seen.budget.seconds("load") == pytest.approx(24.0)
    benchmark = gate(result, "benchmark")
    assert not benchmark.passed
    detail = benchmark.detail
    assert detail.startswith("the benchmark was stopped: load: "), detail
    assert " of 40k records in 2" in detail and " records/s; at this rate " in detail
    assert detail.endswith("budget 24 s = 20 s + 40k records at the 10k/s floor")
    assert result.budget is not None and result.budget.overall_s == seen.budget.overall_s
    loaded = [p for p in seen.progress if p.phase == "load"]
    assert loaded[-1].total == RECORDS and loaded[-1].unit == "records"
    assert loaded[-1].text().endswith("budget 24 s")


def test_an_open_that_never_returns_fails_the_first_gate_within_15_s(tmp_path: Path) -> None:
    store = paced_store(tmp_path / "store", open_pace=STUCK_OPEN)
    seen = Seen()

    async def until_api() -> GateResult:
        request = EvalRequest(spec=card(), store_dir=store, seed=11)
        evaluation = asyncio.create_task(evaluate(request, LocalMachine(), seen))
        try:
            await asyncio.wait_for(seen.api.wait(), timeout=120)
        finally:
            evaluation.cancel()
            await asyncio.gather(evaluation, return_exceptions=True)
        return next(g for g in seen.gates if g.name == "api")

    started = time.monotonic()
    api = asyncio.run(until_api())
    assert not api.passed
    assert api.detail.startswith("the api gate was stopped: api: no store call returned")
    assert "deadlocked or blocked" in api.detail
    build = next(g for g in seen.gates if g.name == "build")
    assert time.monotonic() - started - build.seconds < 20
