"""A naive run and a pipeline run of one small card, made by the engine itself: the
pipeline run by the scripted agent (the reference store), the naive run by an agent that
plays the naive experiment's session with stores given in advance (written with the
naive kit's tools, each one benchmarked, so each is an iteration judged by the gates
after the fact). What two runs side by side are tested on."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.agents.registry import make_agent
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.agent import (
    Agent,
    AgentSink,
    AuditContext,
    AuditOutcome,
    CodeContext,
    CodeOutcome,
    Critique,
    CritiqueContext,
    NaiveContext,
    Plan,
    PlanContext,
)
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec

from support import REPO
from support.twins import slower_twin

CARD = REPO / "tests" / "engine" / "tiny.yaml"
"""Evaluations take seconds on two cores; two trials, pinned."""
TRAJECTORY = REPO / "tests" / "engine" / "trajectory"
TORN = REPO / "tests" / "stores" / "torn_reads"
TWIN_ROUNDS = 2000
"""The naive store that passes: the reference doing ~2 us of extra work per operation."""


class StoresInTurn(Agent):
    """The naive session with its stores decided in advance: each is written into
    `store/` (over the last) and benchmarked, which ends an iteration."""

    name = "stores-in-turn"
    runs_naive = True

    def __init__(self, stores: Sequence[Path]) -> None:
        self.stores = list(stores)

    async def naive(self, ctx: NaiveContext, tools: Tools, sink: AgentSink) -> str:
        for store in self.stores:
            for source in sorted(store.iterdir()):
                await tools.call(
                    "write_file", {"path": f"store/{source.name}", "content": source.read_text()}
                )
            await tools.call("benchmark", {})
        return "done"

    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        raise AssertionError("the naive experiment has no planner")

    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        raise AssertionError("the naive experiment has no coder turn")

    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        raise AssertionError("the naive experiment has no critic")

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        raise AssertionError("the naive experiment has no auditor")


@dataclass(frozen=True)
class BesideRuns:
    card: Path
    pipeline: Workspace
    """One iteration by the scripted agent: the reference store, passing."""
    naive: Workspace
    """Iteration 1 a correct store several times slower than the reference (its best),
    iteration 2 one with torn reads (fails the concurrency gate)."""


def make_runs(folder: Path) -> BesideRuns:
    """Both runs under ``folder/workspaces`` (their card copied to ``folder``)."""
    card = Path(shutil.copy(CARD, folder / CARD.name))
    spec = load_spec(card)
    runs = folder / "workspaces"
    pipeline = create_workspace(spec, card, runs / "beside-pipeline")
    scripted = make_agent("scripted", spec, {"pace": "instant", "trajectory": str(TRAJECTORY)})
    _run(Engine(pipeline, scripted, LocalMachine(), EngineOptions(iterations=1, seed=7)))
    naive = create_workspace(spec, card, runs / "beside-naive")
    twin = slower_twin(folder / "twin", TWIN_ROUNDS)
    agent = StoresInTurn([twin, TORN])
    _run(Engine(naive, agent, LocalMachine(), EngineOptions(iterations=2, seed=7, naive=True)))
    return BesideRuns(card, pipeline, naive)


def _run(engine: Engine) -> None:
    finished = asyncio.run(engine.run())
    assert finished.status == "finished", finished.reason


def copy_runs(runs: BesideRuns, folder: Path) -> BesideRuns:
    """The two runs (and their card) copied under ``folder``: a test may measure, keep
    and break them without touching another's."""
    source = runs.card.parent
    for item in (runs.card.name, "workspaces"):
        if (source / item).is_dir():
            shutil.copytree(source / item, folder / item, symlinks=True)
        else:
            shutil.copy(source / item, folder / item)
    return BesideRuns(
        folder / runs.card.name,
        Workspace(folder / "workspaces" / runs.pipeline.name),
        Workspace(folder / "workspaces" / runs.naive.name),
    )
