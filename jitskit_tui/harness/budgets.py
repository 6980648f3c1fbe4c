"""The time budget of every phase of an evaluation, from one formula, and the bound of
the whole.

    budget(phase) = allowance(phase) + work(phase) / floor_rate

``work`` is what the phase asks of the store (records to load, store calls a gate
makes, keys to read back), ``floor_rate`` the card's ``loop.floor_rate`` (operations per
second every store may be assumed to manage; 1k/s unless the card says), and the
allowance a fixed constant for what does not scale with the store (starting the
process, generating the trace, compiling the harness). The build has its own rate
(bytes of sources per second). The overall bound is the sum, and it is announced when
the evaluation starts. When the sum at the card's floor is more than :data:`CAP_S`
(10 min at the quick size), the floor is raised until it fits, and the budget says so.

docs/evaluation.md states the constants and the rules the watchdog applies with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jitskit_tui.harness.config import Size, run_size
from jitskit_tui.protocol.results import EvalBudget, PhaseBudget
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.spec.units import format_rate, format_span

CAP_S: dict[Size, float] = {"quick": 600.0, "full": 2400.0}
"""The overall bound an evaluation may not exceed: 10 min at the quick size."""

OTHER_TRIALS = "other trials"
"""The phase of every benchmark process after the first (their rounds, all sides)."""

STALL_S = 10.0
"""No operation completed for this long (the phase's count stood still): deadlocked."""

SETUP_S = 20.0
"""Uploads, resetting the data directory, the probes between phases."""
BUILD_ALLOWANCE_S = 30.0
BUILD_BYTES_PER_S = 1024.0
"""Compiling the store's sources: 1 KiB/s is several times slower than g++ -O2 here."""
HARNESS_COMPILE_S = 150.0
"""Compiling the harness's own objects, once per machine and harness version (they are
cached); measured at about 60 s on a busy 2-CPU machine."""
INTEGRITY_S = 30.0
GATE_ALLOWANCE_S = 15.0
"""A gate's process: start, Open, Close, and the checks between store calls."""
API_GATE_CALLS = 100_000
"""Store calls the api gate makes, about (8192 keys, each written, read, rewritten and
removed, plus the reopen cycles and the scans)."""
CONCURRENCY_TIMED_S = 2.0
"""The concurrency gate's two phases bounded by time: the torn-read hammer (0.7 s) and
the read-modify-write storm (2 x 0.35 s)."""
GATE_OPS_PER_THREAD = 40_000
"""`gate_ops`: store calls per thread in the concurrency gate's mixed phase."""
DURABILITY_ALLOWANCE_S = 105.0
"""The durability supervisor: Open (60 s at most), the kill (2.5 s at most), a writer
that stalls (10 s at most) and teardown (30 s)."""
LOAD_ALLOWANCE_S = 20.0
"""A benchmark process up to its load: start, trace generation, the driver's own floor,
Open."""
RUN_ALLOWANCE_S = 10.0
VERIFY_ALLOWANCE_S = 10.0
"""Reading back the tracked writes, then Close."""
TRACKED_EVERY = 64
"""The benchmark reads back one record in this many after its run."""
CANARY_ALLOWANCE_S = 30.0
CANARY_RUN_S = 5.0
CANARY_LARGEST = 0.65
"""The canary's records are 35-65% of the quick size's (``harness.config.canary_config``)."""


@dataclass(frozen=True)
class BudgetInputs:
    """What the budget needs besides the card: how big the store is and whether the
    harness's objects must be compiled first."""

    source_bytes: int = 0
    harness_cached: bool = True
    durability: bool = False
    sides: int = 1
    """The stores measured in the trials: the candidate and its peers (a round runs one
    trial of each)."""
    trial_seconds: float = 0.0
    """One trial's timed length, warm-up included; 0: the size's duration, the
    operations ending the run first when they do."""
    trials_seconds: float = 0.0
    """The trials' time cap (``loop.trials.max_seconds`` at the size), 0 when none: one
    round of benchmark processes then."""
    peer_source_bytes: tuple[int, ...] = ()
    """Each peer's sources: each is built after the candidate (the harness's objects
    shared)."""
    gated_peers: int = 0
    """Peers that go through the correctness gates and the canary too (a compare's A)."""


def evaluation_budget(spec: SpecCard, size: Size, inputs: BudgetInputs) -> EvalBudget:
    """Every phase's budget at the card's floor (raised when the sum exceeds the cap)."""
    floor = spec.loop.floor_rate
    budget = _at_rate(spec, size, inputs, floor)
    cap = CAP_S[size]
    if budget.overall_s <= cap:
        return budget.model_copy(update={"floor_rate": floor, "cap_s": cap})
    fixed = sum(p.allowance_s for p in budget.phases if p.unit != "bytes of sources")
    fixed += sum(p.seconds for p in budget.phases if p.unit == "bytes of sources")
    work = sum(p.work for p in budget.phases if p.unit != "bytes of sources")
    room = max(cap - fixed, 0.25 * cap)
    raised = max(floor, math.ceil(work / room / 100) * 100)
    capped = _at_rate(spec, size, inputs, raised)
    note = (
        f"the formula gives {format_span(budget.overall_s)} at the card's "
        f"{format_rate(floor)} floor, more than the {format_span(cap)} an evaluation may "
        f"take at the {size} size: the floor is raised to {format_rate(raised)} for this card"
    )
    return capped.model_copy(update={"floor_rate": floor, "cap_s": cap, "note": note})


def _at_rate(spec: SpecCard, size: Size, inputs: BudgetInputs, rate: float) -> EvalBudget:
    sized = run_size(spec, size)
    records = sized.record_count
    threads = spec.workload.threads
    phases = [
        PhaseBudget(phase="setup", seconds=SETUP_S, allowance_s=SETUP_S),
        _build(inputs),
        PhaseBudget(phase="integrity", seconds=INTEGRITY_S, allowance_s=INTEGRITY_S),
        _phase("api", GATE_ALLOWANCE_S, API_GATE_CALLS, "store calls", rate),
        _phase(
            "concurrency",
            GATE_ALLOWANCE_S + CONCURRENCY_TIMED_S,
            threads * GATE_OPS_PER_THREAD,
            "store calls",
            rate,
        ),
    ]
    if inputs.durability:
        verified = threads * min(1024, max(16, records // max(1, threads)))
        phases.append(_phase("durability", DURABILITY_ALLOWANCE_S, verified, "keys", rate))
    if inputs.gated_peers:
        # A gated peer goes through the same gates (and the canary) as the candidate.
        each = sum(p.seconds for p in phases[2:]) + canary(spec, rate).seconds
        seconds = each * inputs.gated_peers
        phases.append(PhaseBudget(phase="peer gates", seconds=seconds, allowance_s=seconds))
    if inputs.peer_source_bytes:
        peers = [_build(BudgetInputs(source_bytes=b)) for b in inputs.peer_source_bytes]
        phases.insert(
            2,
            PhaseBudget(
                phase="peer builds",
                seconds=sum(p.seconds for p in peers),
                allowance_s=sum(p.allowance_s for p in peers),
                work=sum(p.work for p in peers),
                unit="bytes of sources",
                rate=BUILD_BYTES_PER_S,
            ),
        )
    phases += trials_phases(spec, size, inputs, rate)
    phases.append(canary(spec, rate))
    overall = sum(p.seconds for p in phases)
    return EvalBudget(phases=phases, overall_s=overall, rate=rate)


def trials_phases(
    spec: SpecCard, size: Size, inputs: BudgetInputs, rate: float
) -> list[PhaseBudget]:
    """One trial's process (its load, its timed run and its read-back, the budgets every
    trial's watchdog holds it to) and the other trials of the rounds: at least two
    rounds, and no round starts that would end past the trials' cap, so they end within
    the larger of two rounds and the cap plus one round, a round being one process per
    side."""
    process = bench_process(spec, size, rate, inputs.trial_seconds)
    one = sum(p.seconds for p in process)
    round_s = max(1, inputs.sides) * one
    whole = round_s
    if inputs.trials_seconds:
        whole = max(2 * round_s, inputs.trials_seconds + round_s)
    rest = whole - one
    if rest <= 0:
        return list(process)
    return [*process, PhaseBudget(phase=OTHER_TRIALS, seconds=rest, allowance_s=rest)]


def canary(spec: SpecCard, rate: float) -> PhaseBudget:
    """The memory gate's canary process: a quick-sized load at most 65% as large, a run
    of at most :data:`CANARY_RUN_S` (``harness.config.canary_config``), a read-back."""
    quick = run_size(spec, "quick")
    records = max(1000, int(quick.record_count * CANARY_LARGEST))
    return _phase(
        "canary",
        CANARY_ALLOWANCE_S + CANARY_RUN_S,
        records + records // TRACKED_EVERY,
        "records",
        rate,
    )


def bench_process(
    spec: SpecCard, size: Size, rate: float, trial_seconds: float = 0.0
) -> tuple[PhaseBudget, PhaseBudget, PhaseBudget]:
    """One benchmark process's budgets: its load, its run, and reading back with Close.
    A trial (``trial_seconds`` > 0) cycles its trace for exactly that long."""
    sized = run_size(spec, size)
    records = sized.record_count
    load = _phase("load", LOAD_ALLOWANCE_S, records, "records", rate)
    if trial_seconds:
        seconds = RUN_ALLOWANCE_S + trial_seconds
        run = PhaseBudget(phase="run", seconds=seconds, allowance_s=seconds)
    elif sized.operation_count:
        # The run ends after its operations or at the card's duration, whichever first.
        ops = sized.operation_count
        seconds = RUN_ALLOWANCE_S + min(sized.duration_s, ops / rate)
        run = PhaseBudget(
            phase="run",
            seconds=seconds,
            allowance_s=RUN_ALLOWANCE_S,
            work=ops if ops / rate < sized.duration_s else 0,
            unit="operations",
            rate=rate,
        )
        if not run.work:
            run = run.model_copy(update={"allowance_s": seconds})
    else:
        seconds = RUN_ALLOWANCE_S + sized.duration_s
        run = PhaseBudget(phase="run", seconds=seconds, allowance_s=seconds)
    tracked = records // TRACKED_EVERY + 1
    verify = _phase("verify", VERIFY_ALLOWANCE_S, tracked, "keys", rate)
    return load, run, verify


def _build(inputs: BudgetInputs) -> PhaseBudget:
    allowance = BUILD_ALLOWANCE_S + (0.0 if inputs.harness_cached else HARNESS_COMPILE_S)
    return PhaseBudget(
        phase="build",
        seconds=allowance + inputs.source_bytes / BUILD_BYTES_PER_S,
        allowance_s=allowance,
        work=inputs.source_bytes,
        unit="bytes of sources",
        rate=BUILD_BYTES_PER_S,
    )


def _phase(name: str, allowance: float, work: int, unit: str, rate: float) -> PhaseBudget:
    return PhaseBudget(
        phase=name,
        seconds=allowance + work / rate,
        allowance_s=allowance,
        work=work,
        unit=unit,
        rate=rate,
    )
