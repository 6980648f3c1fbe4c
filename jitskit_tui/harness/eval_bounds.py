"""What bounds an evaluation: the machine it may run on, read before anything is built,
and the time each phase may take, announced before the build and held to by watchdogs.

:mod:`evaluate` calls these at its steps; the rules are :mod:`machine_fit`'s,
:mod:`budgets`' and :mod:`watchdog`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from pathlib import Path

from jitskit_tui.harness.budgets import STALL_S, BudgetInputs, bench_process, evaluation_budget
from jitskit_tui.harness.build import SEALED_NAME, BuildOutcome
from jitskit_tui.harness.bundle import Bundle
from jitskit_tui.harness.eval_run import EvalObserver, EvalRequest, EvalRun, MachineSetting
from jitskit_tui.harness.limits import limits_for
from jitskit_tui.harness.machine_fit import check_fit
from jitskit_tui.harness.peers import StagedPeer
from jitskit_tui.harness.stopping import TrialSettings
from jitskit_tui.harness.watchdog import Plan, Watchdog
from jitskit_tui.protocol.results import EvalBudget, PhaseBudget
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec.units import format_span

BACKSTOP_S = STALL_S + 30.0
"""A sandboxed command's hard timeout beyond its budget: the watchdog stops it first."""


async def machine_setting(
    request: EvalRequest, machine: BenchMachine
) -> tuple[MachineSetting, tuple[int, ...] | None]:
    """The machine's facts, read before anything is built; refuses a machine smaller
    than the card unless allowed (:class:`MachineTooSmall`); the limits fitted to it and
    the CPUs the harness pins its threads to."""
    facts = await machine.facts()
    smaller, warnings = check_fit(request.spec, facts, allow_smaller=request.allow_smaller_machine)
    limits, cpus, fitted = limits_for(request.spec, machine, facts)
    return MachineSetting(facts, limits, warnings + fitted, smaller), cpus


def announce_budget(
    request: EvalRequest,
    bundle: Bundle,
    object_cache: Path,
    observer: EvalObserver,
    *,
    peers: Sequence[StagedPeer] = (),
    settings: TrialSettings,
) -> EvalBudget:
    """The evaluation's phase budgets (the store's size, whether the harness must be
    compiled first, the peers built and gated beside it, the trials), told to the
    observer before the build."""
    inputs = BudgetInputs(
        source_bytes=_source_bytes(bundle),
        harness_cached=(object_cache / SEALED_NAME).is_file(),
        durability=request.spec.requirement.durability != "none",
        sides=1 + len(peers),
        trial_seconds=settings.seconds,
        trials_seconds=settings.max_seconds,
        peer_source_bytes=tuple(_source_bytes(p.bundle) if p.bundle else 0 for p in peers),
        gated_peers=sum(1 for p in peers if p.peer.gated),
    )
    budget = evaluation_budget(request.spec, request.size, inputs)
    observer.on_budget(budget)
    return budget


def _source_bytes(bundle: Bundle) -> int:
    return sum(p.stat().st_size for p in bundle.store.rglob("*") if p.is_file())


async def bounded_build(budget: EvalBudget, building: Awaitable[BuildOutcome]) -> BuildOutcome:
    """The build, stopped (with what it was compiling killed) when it overruns its budget."""
    limit = budget.of("build")
    if limit is None:
        return await building
    try:
        return await asyncio.wait_for(building, limit.seconds)
    except TimeoutError:
        return BuildOutcome(
            ok=False,
            detail=f"build: not finished within its budget of {format_span(limit.seconds)} "
            f"= {limit.formula()} (a store this large, or code this slow to compile?)",
        )


def gate_watch(run: EvalRun, phase: str, *, counts: bool = True) -> tuple[Watchdog, float]:
    """The watchdog of a process the budget's ``phase`` covers whole, and its backstop."""
    budget = _of(run.budget, phase)
    plan = Plan.whole(phase, budget, counts=counts)
    return Watchdog(plan, report=run.observer.on_progress), budget.seconds + BACKSTOP_S


def trial_watch(run: EvalRun, seconds: float) -> tuple[Watchdog, float]:
    """A trial's watchdog (its load, its timed run of ``seconds`` and its read-back,
    each on its own budget at the evaluation's rate) and its backstop."""
    rate = run.budget.rate or run.spec.loop.floor_rate
    load, timed, verify = bench_process(run.spec, run.request.size, rate, seconds)
    plan = Plan(
        budgets={"load": load, "run": timed, "verify": verify},
        default="load",
        steps={"run": "run", "verify": "verify", "close": "verify"},
    )
    total = load.seconds + timed.seconds + verify.seconds
    return Watchdog(plan, report=run.observer.on_progress), total + BACKSTOP_S


def _of(budget: EvalBudget, phase: str) -> PhaseBudget:
    found = budget.of(phase)
    if found is None:
        raise KeyError(f"the evaluation's budget has no phase {phase!r}")
    return found
