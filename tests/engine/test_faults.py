"""Faults: an agent error is an iteration outcome and the loop goes on; an unusable
machine or a fatal agent error stops the run with a message that says why."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from enginekit import TRAJECTORY, new_workspace

from jitskit_tui.agents.scripted import ScriptedAgent, load_trajectory, pace_named
from jitskit_tui.engine.baseline import ObserverFor
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_ratio_trailer, parse_trailers
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.protocol.agent import AgentFatalError, AgentSink, CodeContext, CodeOutcome, Plan
from jitskit_tui.protocol.agent import PlanContext as PlanCtx
from jitskit_tui.protocol.events import ErrorRaised, IterationFinished
from jitskit_tui.protocol.results import BaselineReport, MachineFacts
from jitskit_tui.protocol.texts import ratio_number
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.sandbox.base import BenchMachine, EvalSandbox, Limits, MachineError
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import SpecCard


class FlakyCoder(ScriptedAgent):
    """Writes its files, then fails in the first iteration, as a model call might."""

    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        outcome = await super().code(ctx, tools, sink)
        if ctx.brief.iteration == 1:
            raise RuntimeError("the model returned a malformed reply")
        return outcome


class BadKeyPlanner(ScriptedAgent):
    async def plan(self, ctx: PlanCtx, sink: AgentSink) -> Plan:
        raise AgentFatalError("the API key was refused (401)", "set ANTHROPIC_API_KEY")


class NoMachine(BenchMachine):
    label = "tcp://nowhere:2375"

    async def check(self) -> None:
        raise MachineError(self.label, "cannot connect", "start the Docker daemon")

    async def facts(self) -> MachineFacts:
        raise AssertionError("never asked: the connection check comes first")

    async def open(
        self, *, run_id: str, iteration: int | None, limits: Limits, data_volume: bool
    ) -> EvalSandbox:
        raise AssertionError("never opened")


def _scripted(kind: type[ScriptedAgent]) -> ScriptedAgent:
    return kind(load_trajectory(TRAJECTORY), pace_named("instant"))


@pytest.mark.slow
async def test_an_agent_error_is_recorded_and_the_loop_goes_on(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = Engine(ws, _scripted(FlakyCoder), LocalMachine(), EngineOptions(iterations=2, seed=7))
    finished = await engine.run()
    assert finished.status == "finished" and finished.completed == 2
    events = read_events(ws.events)
    outcomes = [(e.iteration, e.outcome) for e in events if isinstance(e, IterationFinished)]
    assert outcomes == [(1, "agent-error"), (2, "evaluated")]
    assert any(isinstance(e, ErrorRaised) and "malformed reply" in e.message for e in events)
    first = git.Repo(ws.root).commit("main~1")
    assert parse_trailers(str(first.message))["Jitskit-Outcome"] == "agent-error"
    # What the agent wrote before failing is kept in its commit.
    assert "store/store.cc" in [b.path for b in first.tree.traverse()]  # type: ignore[union-attr]


async def test_an_unreachable_machine_stops_the_run_saying_why(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = Engine(ws, _scripted(ScriptedAgent), NoMachine(), EngineOptions())
    finished = await engine.run()
    assert finished.status == "failed"
    assert "cannot connect" in finished.reason and "start the Docker daemon" in finished.reason
    assert finished.completed == 0


async def test_a_fatal_agent_error_stops_the_run(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path)
    engine = Engine(ws, _scripted(BadKeyPlanner), LocalMachine(), EngineOptions())
    finished = await engine.run()
    assert finished.status == "failed"
    assert "401" in finished.reason and "ANTHROPIC_API_KEY" in finished.reason
    errors = [e for e in read_events(ws.events) if isinstance(e, ErrorRaised)]
    assert errors[-1].fatal


@pytest.mark.slow
async def test_the_ratio_is_against_the_best_comparable_baseline(tmp_path: Path) -> None:
    async def stub_baselines(
        spec: SpecCard,
        machine: BenchMachine,
        observer_for: ObserverFor,
        *,
        allow_smaller_machine: bool = False,
    ) -> BaselineReport:
        # A stand-in report (the real one is `jitskit baselines`' and takes minutes).
        return BaselineReport(
            results=[], best_comparable="mutex-map", best_comparable_ops_s=250_000.0
        )

    ws = new_workspace(tmp_path)
    agent = _scripted(ScriptedAgent)
    options = EngineOptions(iterations=1, seed=7, baseline=stub_baselines)
    finished = await Engine(ws, agent, LocalMachine(), options).run()
    assert finished.completed == 1
    done = next(e for e in read_events(ws.events) if isinstance(e, IterationFinished))
    assert done.ratio == pytest.approx(done.throughput_ops_s / 250_000.0)
    trailers = parse_trailers(str(git.Repo(ws.root).commit("main").message))
    # No baseline is measured beside it here (the stand-in names none to pair): the
    # trailer says the ratio is against the cached figure.
    ratio = parse_ratio_trailer(trailers["Jitskit-Ratio"])
    assert ratio is not None and ratio.ci_low is None
    # Written with three significant digits, as every ratio is (16.8x, 2.21x, 0.041x).
    assert done.ratio is not None and ratio.point == float(ratio_number(done.ratio))
    assert trailers["Jitskit-Ratio"].endswith("(unpaired)")
