"""What bounds an evaluation: the machine it may run on, read before anything is built,
and the time each phase may take, announced before the build and held to by watchdogs.

:mod:`evaluate` calls these at its steps; the rules are :mod:`machine_fit`'s,
:mod:`budgets`' and :mod:`watchdog`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path

from jitskit_tui.harness.budgets import STALL_S, BudgetInputs, evaluation_budget
from jitskit_tui.harness.build import SEALED_NAME, BuildOutcome
from jitskit_tui.harness.bundle import Bundle
from jitskit_tui.harness.config import run_size
from jitskit_tui.harness.eval_run import EvalObserver, EvalRequest, EvalRun, MachineSetting
from jitskit_tui.harness.limits import limits_for
from jitskit_tui.harness.machine_fit import check_fit
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
    request: EvalRequest, bundle: Bundle, object_cache: Path, observer: EvalObserver
) -> EvalBudget:
    """The evaluation's phase budgets (the store's size, whether the harness must be
    compiled first), told to the observer before the build."""
    sources = sum(p.stat().st_size for p in bundle.store.rglob("*") if p.is_file())
    inputs = BudgetInputs(
        source_bytes=sources,
        harness_cached=(object_cache / SEALED_NAME).is_file(),
        durability=request.spec.requirement.durability != "none",
    )
    budget = evaluation_budget(request.spec, request.size, inputs)
    observer.on_budget(budget)
    return budget


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


def bench_watch(run: EvalRun) -> tuple[Watchdog, float]:
    """The benchmark process's watchdog (its load, run and read-back each on their own
    budget) and its backstop."""
    budgets = {name: _of(run.budget, name) for name in ("load", "run", "verify")}
    plan = Plan(
        budgets=budgets,
        default="load",
        steps={"run": "run", "verify": "verify", "close": "verify"},
        totals={"run": run_size(run.spec, run.request.size).operation_count},
    )
    seconds = sum(b.seconds for b in budgets.values())
    return Watchdog(plan, report=run.observer.on_progress), seconds + BACKSTOP_S


def _of(budget: EvalBudget, phase: str) -> PhaseBudget:
    found = budget.of(phase)
    if found is None:
        raise KeyError(f"the evaluation's budget has no phase {phase!r}")
    return found
