"""The `baselines` control: measured between iterations (never during one), later
iterations' ratio against the new baseline, earlier ones restated against it; a run
started without baselines measures the real ones; a failed re-measure keeps the old."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import git
import pytest
from enginekit import new_workspace, open_engine

from jitskit_tui.engine import baseline_step
from jitskit_tui.engine.baseline import BaselineSource, ObserverFor
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_ratio_trailer, parse_trailers
from jitskit_tui.engine.loop import Engine
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.controls import RunBaselines
from jitskit_tui.protocol.events import (
    BaselineKnown,
    ControlReceived,
    ErrorRaised,
    EvalStarted,
    Event,
    IterationFinished,
    IterationStarted,
)
from jitskit_tui.protocol.results import BaselineReport
from jitskit_tui.protocol.texts import ratio_number
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec.model import SpecCard


@dataclass
class Baselines:
    """A stand-in baseline source (the real one is `jitskit baselines`: half a minute):
    each measurement reports the next figure, or raises when it is an exception."""

    figures: list[float | Exception]
    calls: list[str] = field(default_factory=list)

    async def __call__(
        self,
        spec: SpecCard,
        machine: BenchMachine,
        observer_for: ObserverFor,
        *,
        allow_smaller_machine: bool = False,
    ) -> BaselineReport:
        figure = self.figures[min(len(self.calls), len(self.figures) - 1)]
        self.calls.append(spec.name)
        observer_for("stub-map")
        if isinstance(figure, Exception):
            raise figure
        return BaselineReport(results=[], best_comparable="stub-map", best_comparable_ops_s=figure)


def with_source(engine: Engine, source: BaselineSource | None) -> Engine:
    engine.options.baseline = source
    return engine


@pytest.fixture
async def idle(tmp_path: Path) -> AsyncIterator[Engine]:
    """An engine whose stint is not running: controls and steps called directly."""
    engine = open_engine(new_workspace(tmp_path), iterations=1)
    yield engine
    await engine.close()


async def measure_baseline(engine: Engine, *, force: bool = False, refresh: bool = False) -> None:
    """The engine's baseline step on its run, with its source and machine."""
    await baseline_step.measure_baseline(
        engine.context, engine.options.baseline, engine.machine, force=force, refresh=refresh
    )


async def test_the_control_is_queued_for_the_next_point_between_iterations(idle: Engine) -> None:
    first = await idle.control(RunBaselines())
    assert first.accepted and "before the next iteration starts" in first.message
    assert "started without them" in first.message  # this engine has no baseline source
    assert idle.context.baselines_requested
    again = await idle.control(RunBaselines(refresh=True))
    assert again.accepted and again.message.startswith("already queued")
    assert idle.context.take_baselines_request() is True
    assert idle.context.take_baselines_request() is None


async def test_a_forced_measure_replaces_the_baseline_and_restores_the_loop_state(
    idle: Engine,
) -> None:
    source = Baselines([250_000.0, 500_000.0])
    with_source(idle, source)
    await measure_baseline(idle)
    assert idle.context.baseline == ("stub-map", 250_000.0)
    idle.context.set_state("committing")
    await measure_baseline(idle)  # not forced: the run has one, nothing is measured
    assert len(source.calls) == 1
    await measure_baseline(idle, force=True)
    assert idle.context.baseline == ("stub-map", 500_000.0)
    assert idle.state.baseline_ops_s == 500_000.0
    assert idle.state.loop_state == "committing"
    known = [e for e in read_events(idle.ws.events) if isinstance(e, BaselineKnown)]
    assert [k.ops_s for k in known] == [250_000.0, 500_000.0]
    assert "measured on request (was stub-map at 250,000 ops/s)" in known[-1].detail


async def test_a_failed_re_measure_keeps_the_baseline_the_run_had(idle: Engine) -> None:
    with_source(idle, Baselines([250_000.0, RuntimeError("rocksdb did not build")]))
    await measure_baseline(idle)
    await measure_baseline(idle, force=True)
    assert idle.context.baseline == ("stub-map", 250_000.0)
    assert idle.state.baseline_ops_s == 250_000.0
    events = read_events(idle.ws.events)
    assert sum(isinstance(e, BaselineKnown) for e in events) == 1
    error = next(e for e in events if isinstance(e, ErrorRaised))
    assert "rocksdb did not build" in error.message
    assert "the ratio stays against stub-map" in error.next_step


async def test_a_run_without_baselines_measures_the_real_ones_when_asked(
    idle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached, fresh = Baselines([300_000.0]), Baselines([310_000.0])
    monkeypatch.setattr(baseline_step, "measured_baselines", cached)
    monkeypatch.setattr(baseline_step, "fresh_baselines", fresh)
    await measure_baseline(idle)  # the stint's start: none, the ratio is unknown
    assert idle.context.baseline is None and not cached.calls
    await measure_baseline(idle, force=True)
    assert idle.context.baseline == ("stub-map", 300_000.0) and len(cached.calls) == 1
    await measure_baseline(idle, force=True, refresh=True)
    assert idle.context.baseline == ("stub-map", 310_000.0) and len(fresh.calls) == 1


@pytest.mark.slow
async def test_baselines_asked_mid_iteration_are_measured_after_it_and_restate_ratios(
    tmp_path: Path,
) -> None:
    source = Baselines([250_000.0, 500_000.0])
    ws = new_workspace(tmp_path)
    engine = with_source(open_engine(ws, iterations=2), source)
    acks: list[ControlReceived] = []

    def ask_during_first(event: Event) -> None:
        if isinstance(event, IterationStarted) and event.iteration == 1:
            acks.append(engine.handle_control(RunBaselines()))

    engine.log.subscribe(ask_during_first)
    finished = await asyncio.wait_for(engine.run(), 240)
    assert finished.status == "finished" and finished.completed == 2
    assert acks[0].accepted and "once iteration 1 is committed" in acks[0].message

    events = read_events(ws.events)
    at = {id(e): i for i, e in enumerate(events)}

    def index(kind: type[Event], n: int | None = None) -> int:
        return next(
            at[id(e)] for e in events if isinstance(e, kind) and (n is None or e.iteration == n)
        )

    # Measured between iteration 1's finish and iteration 2's start, never inside one.
    remeasured = [at[id(e)] for e in events if isinstance(e, BaselineKnown)][1]
    assert index(IterationFinished, 1) < remeasured < index(IterationStarted, 2)
    baseline_evals = [
        at[id(e)] for e in events if isinstance(e, EvalStarted) and e.purpose == "baseline"
    ]
    assert not any(
        index(IterationStarted, 1) < i < index(IterationFinished, 1) for i in baseline_evals
    )
    # Iteration 2 is measured against the new baseline; iteration 1 was against the old.
    done = {e.iteration: e for e in events if isinstance(e, IterationFinished)}
    first, second = done[1], done[2]
    assert first.ratio == pytest.approx(first.throughput_ops_s / 250_000.0)
    assert second.ratio == pytest.approx(second.throughput_ops_s / 500_000.0)
    trailers = parse_trailers(str(git.Repo(ws.root).commit("main").message))
    # No baseline is measured beside it here (the stand-in names none to pair): the
    # trailer says the ratio is against the cached figure.
    ratio = parse_ratio_trailer(trailers["Jitskit-Ratio"])
    assert ratio is not None and ratio.ci_low is None
    # Written with three significant digits, as every ratio is (11.4x, 2.21x, 0.041x).
    assert second.ratio is not None and ratio.point == float(ratio_number(second.ratio))
    assert trailers["Jitskit-Ratio"].endswith("(unpaired)")
    # What clients show: every ratio against the latest baseline, restated ones marked.
    state = RunState.from_events(events)
    shown = {n: state.ratio_now(state.iterations[n]) for n in (1, 2)}
    assert shown[1].value == pytest.approx(first.throughput_ops_s / 500_000.0)
    assert shown[1].restated and shown[1].against == "stub-map"
    assert shown[2].value == pytest.approx(second.ratio) and not shown[2].restated
    assert state.iterations[1].ratio == first.ratio  # the committed figure is kept
