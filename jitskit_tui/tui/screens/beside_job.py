"""The paired comparison of two runs' stores, measured in the background.

A measurement belongs to the runs browser, not to the screen that shows it: closing the
side by side screen leaves it going, opening the pair again shows how far it got, and
its end is announced wherever the user is. One runs at a time: two at once would share
the cores and disturb each other's figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.widget import Widget

from jitskit_tui.engine import beside
from jitskit_tui.engine.beside import BesideError, RunSide
from jitskit_tui.engine.beside_cache import Cached
from jitskit_tui.engine.compare import SIDE_A
from jitskit_tui.protocol.results import (
    BenchTick,
    EvalBudget,
    GateResult,
    PhaseProgress,
    TrialFigures,
)
from jitskit_tui.protocol.texts import TIMES, interval_ratio_text
from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.spec.units import format_span
from jitskit_tui.tui.run.formatting import ops_text

PairKey = tuple[str, int, str, int]


def pair_key(a: RunSide, b: RunSide) -> PairKey:
    return (str(a.ws.root.resolve()), a.iteration, str(b.ws.root.resolve()), b.iteration)


@dataclass
class MeasureJob:
    """One comparison as it goes: written by the evaluation (it is its observer), read
    by the screen a few times a second."""

    a: RunSide
    b: RunSide
    rounds_max: int
    step: str = "starting"
    trials: int = 0
    bound_s: float | None = None
    started: float = field(default_factory=time.monotonic)
    done: bool = False
    error: str = ""
    cached: Cached | None = None

    @property
    def key(self) -> PairKey:
        return pair_key(self.a, self.b)

    def _side(self, side: str) -> str:
        return self.a.label if side == SIDE_A else self.b.label

    # -- the evaluation's observer ---------------------------------------------------------

    def on_step(self, step: str) -> None:
        self.step = step

    def on_tick(self, tick: BenchTick) -> None:
        trial = "" if tick.trial is None else f" trial {tick.trial + 1}"
        self.step = f"{self._side(tick.side)}{trial}: {tick.t_s:.1f}s, {ops_text(tick.ops_s)}"

    def on_gate(self, gate: GateResult) -> None:
        if not gate.passed:
            self.step = f"{gate.name} failed"

    def on_trial(self, figures: TrialFigures) -> None:
        self.trials += 1
        self.step = (
            f"{self._side(figures.side)} trial {figures.index + 1}: "
            f"{ops_text(figures.throughput_ops_s)}"
        )

    def on_budget(self, budget: EvalBudget) -> None:
        self.bound_s = budget.overall_s

    def on_progress(self, progress: PhaseProgress) -> None:
        self.step = progress.text()

    # -- words -----------------------------------------------------------------------------

    def status(self) -> str:
        """How far it got, in one line."""
        bound = f" (at most {format_span(self.bound_s)})" if self.bound_s else ""
        elapsed = format_span(time.monotonic() - self.started)
        return f"measuring, {elapsed} so far{bound}: {self.step}"

    def result_words(self) -> str:
        """The outcome in one line, for a notification."""
        if self.error:
            return self.error
        measurement = self.cached.measurement if self.cached else None
        if measurement is None:
            return "no result"
        comparison = measurement.comparison
        if measurement.failures or comparison is None:
            failed = ", ".join(f"{ref.label} {g.name}" for ref, g in measurement.failures)
            return f"a store failed a gate when measured: {failed or 'no ratio'}"
        return (
            f"{measurement.b.label} / {measurement.a.label} = "
            f"{interval_ratio_text(comparison.ratio, TIMES)} {comparison.verdict}"
        )


class Measurements:
    """The comparisons measured in this app, run on ``host`` (the runs browser)."""

    def __init__(self, host: Widget) -> None:
        self.host = host
        self.jobs: dict[PairKey, MeasureJob] = {}
        self.on_done: Callable[[MeasureJob], None] | None = None

    def running(self) -> MeasureJob | None:
        return next((job for job in self.jobs.values() if not job.done), None)

    def job_for(self, a: RunSide, b: RunSide) -> MeasureJob | None:
        return self.jobs.get(pair_key(a, b))

    def start(self, a: RunSide, b: RunSide) -> MeasureJob:
        """Starts measuring B beside A; raises :class:`BesideError` when another
        comparison is measuring."""
        busy = self.running()
        if busy is not None:
            raise BesideError(
                f"{busy.b.label} beside {busy.a.label} is measuring: one comparison at a "
                "time, so neither disturbs the other's figures; press c again when it ends"
            )
        rounds = a.spec.loop.trials.max
        job = MeasureJob(a, b, rounds_max=rounds)
        self.jobs[job.key] = job
        self.host.run_worker(
            self._measure(job), group="beside", name=f"compare {b.label} with {a.label}"
        )
        return job

    async def _measure(self, job: MeasureJob) -> None:
        try:
            label = beside.machine_label(job.a, job.b, None)
            machine = await asyncio.to_thread(machine_for, label)
            await machine.check()
            try:
                measurement, path = await beside.measure(job.a, job.b, machine, job)
            finally:
                await machine.aclose()
            job.cached = Cached(path, measurement)
        except MachineError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            job.error = f"cannot evaluate on {exc.machine}: {exc.message}{hint}"
        except BesideError as exc:
            job.error = str(exc)
        except Exception as exc:  # no traceback for the user: what failed, in words
            job.error = f"the comparison failed: {type(exc).__name__}: {exc}"
        finally:
            job.done = True
            if self.on_done is not None:
                self.on_done(job)
