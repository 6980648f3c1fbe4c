"""The best comparable baseline, measured for the ratio with its progress as events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from jitskit_tui.harness.eval_run import EvalObserver
from jitskit_tui.protocol.results import BaselineReport
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec.model import SpecCard

ObserverFor = Callable[[str], EvalObserver | None]


class BaselineSource(Protocol):
    """Measures (or recalls) every comparable baseline for a spec on a machine."""

    def __call__(
        self,
        spec: SpecCard,
        machine: BenchMachine,
        observer_for: ObserverFor,
        *,
        allow_smaller_machine: bool = False,
    ) -> Awaitable[BaselineReport]: ...


async def measured_baselines(
    spec: SpecCard,
    machine: BenchMachine,
    observer_for: ObserverFor,
    *,
    allow_smaller_machine: bool = False,
) -> BaselineReport:
    """The real baselines at the loop's quick size; cached per spec, machine and library."""
    from jitskit_tui.harness.baseline_runs import run_baselines

    return await run_baselines(
        spec,
        machine,
        size="quick",
        observer_for=observer_for,
        allow_smaller_machine=allow_smaller_machine,
    )


async def fresh_baselines(
    spec: SpecCard,
    machine: BenchMachine,
    observer_for: ObserverFor,
    *,
    allow_smaller_machine: bool = False,
) -> BaselineReport:
    """:func:`measured_baselines`, measured again even where the cache has a result."""
    from jitskit_tui.harness.baseline_runs import run_baselines

    return await run_baselines(
        spec,
        machine,
        size="quick",
        refresh=True,
        observer_for=observer_for,
        allow_smaller_machine=allow_smaller_machine,
    )
