"""Scripted trajectories made of whole stores, and cards to run them on: for the tests
of the loop's decisions, where each step's store has a known speed (the reference store
and its slower twins)."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from enginekit import HERE, TINY, new_workspace

from jitskit_tui.agents.scripted import ScriptedAgent, load_trajectory, pace_named
from jitskit_tui.engine.baseline import BaselineSource, ObserverFor
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import Event
from jitskit_tui.protocol.results import BaselineReport, EvalResult
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec.model import SpecCard

from support.twins import REFERENCE, slower_twin

ESCALATION = HERE / "escalation"
CRITIC = """\
## Iteration {{iteration}}: {{verdict}}, {{throughput_interval}}

Against the best: {{vs_best}}. Decision: {{decision}}. Against {{baseline}}: {{ratio}}.
"""


@dataclass(frozen=True)
class StoreStep:
    """One step: a title and the folder whose `store.cc` the coder writes."""

    title: str
    store: Path
    audit: Mapping[str, object] | None = None


@dataclass
class Stores:
    """Stores of known relative speed, made on demand under ``root``."""

    root: Path
    made: dict[str, Path] = field(default_factory=dict)

    def twin(self, rounds: int, *, scan: bool = True) -> Path:
        """The reference with ``rounds`` xorshift steps of extra work per operation
        (0: the reference itself); without `scan`, its Scan answers kNotSupported."""
        name = f"twin-{rounds}-{'scan' if scan else 'noscan'}"
        if name in self.made:
            return self.made[name]
        dest = self.root / name
        if rounds:
            slower_twin(dest, rounds)
        else:
            shutil.copytree(REFERENCE, dest)
        if not scan:
            source = dest / "store.cc"
            text, count = re.subn(
                r"(Status Scan\([^)]*\)\s*override\s*\{)",
                r"\1\n    return Status::kNotSupported;  // this twin has no scan",
                source.read_text(),
            )
            assert count == 1, "the reference's Scan was not found"
            source.write_text(text)
        self.made[name] = dest
        return dest


def trajectory(dest: Path, steps: list[StoreStep]) -> Path:
    """A trajectory whose step i writes step i's store (a critic that quotes the
    decision); audit entries may name files of `tests/engine/escalation`."""
    dest.mkdir(parents=True)
    (dest / "plan.md").write_text("Try the next store of the test.\n")
    (dest / "critic.md").write_text(CRITIC)
    for name in ("scan_refused.cc", "audit.md"):
        shutil.copy2(ESCALATION / name, dest / name)
    entries = []
    for i, step in enumerate(steps, start=1):
        folder = dest / "stores" / str(i)
        shutil.copytree(step.store, folder)
        entry: dict[str, object] = {
            "title": step.title,
            "plan": "plan.md",
            "coder": [{"write": "store/store.cc", "from": f"stores/{i}/store.cc"}],
            "critic": "critic.md",
        }
        if step.audit is not None:
            entry["audit"] = dict(step.audit)
        entries.append(entry)
    document = {"format": 1, "spec": "tiny", "steps": entries}
    (dest / "trajectory.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return dest


def card(dest: Path, **loop: object) -> Path:
    """The engine tests' tiny card with ``loop`` keys replaced (three pinned trials, so a
    ratio of a few times has an interval that decides: two would not)."""
    document = yaml.safe_load(TINY.read_text())
    document["loop"].update({"trials": {"min": 3, "max": 3}, **loop})
    dest.write_text(yaml.safe_dump(document, sort_keys=False))
    return dest


def engine_for(ws: Workspace, steps: Path, iterations: int, **options: object) -> Engine:
    """An engine playing trajectory ``steps`` on ``ws`` at instant pace, locally."""
    agent = ScriptedAgent(load_trajectory(steps), pace_named("instant"))
    settings = EngineOptions(iterations=iterations, seed=7, **options)  # type: ignore[arg-type]
    return Engine(ws, agent, LocalMachine(), settings)


def run_steps(
    root: Path, steps: Callable[[Stores], list[StoreStep]], iterations: int, **loop: object
) -> tuple[Workspace, list[Event]]:
    """A whole run of ``steps`` (made from stores under ``root``) on the tiny card with
    ``loop`` keys: its workspace and its events. The trajectory is ``root/trajectory``."""
    made = trajectory(root / "trajectory", steps(Stores(root / "stores")))
    ws = new_workspace(root, card(root / "card.yaml", iterations=iterations, **loop))
    finished = asyncio.run(engine_for(ws, made, iterations).run())
    assert finished.status == "finished", finished.reason
    return ws, read_events(ws.events)


def cached_baselines(cached: Mapping[str, float], best: str) -> BaselineSource:
    """A stand-in for the run's baseline measurement: ``cached`` figures (ops/s), ``best``
    the best comparable one. Pairing beside each candidate still measures ``best`` for
    real (a real adapter's name), so no test waits for every real baseline."""

    async def stand_in(
        spec: SpecCard,
        machine: BenchMachine,
        observer_for: ObserverFor,
        *,
        allow_smaller_machine: bool = False,
    ) -> BaselineReport:
        results = [
            EvalResult(name=name, verdict="pass", gates=[], throughput_ops_s=ops, spec_sha256="-")
            for name, ops in cached.items()
        ]
        return BaselineReport(
            results=results,
            best_comparable=best,
            best_comparable_ops_s=cached[best],
            cached=list(cached),
        )

    return stand_in
