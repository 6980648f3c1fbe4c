"""Whole evaluations through slurm://bench: the reference store passes with live ticks, and
a broken store fails the same gate as on this host's own sandbox."""

from __future__ import annotations

import pytest
import yaml
from slurmkit import REPO, RecordingMachine

from jitskit_tui.harness.eval_run import EvalRequest, QuietObserver
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.protocol.results import BenchTick, GateResult
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

DEMO = load_spec(REPO / "specs" / "demo.yaml")
REFERENCE = REPO / "jitskit_tui" / "harness" / "stores" / "reference"
STORES = REPO / "tests" / "stores"


class Watch(QuietObserver):
    def __init__(self) -> None:
        self.steps: list[str] = []
        self.ticks: list[BenchTick] = []
        self.gates: list[GateResult] = []

    def on_step(self, step: str) -> None:
        self.steps.append(step)

    def on_tick(self, tick: BenchTick) -> None:
        self.ticks.append(tick)

    def on_gate(self, gate: GateResult) -> None:
        self.gates.append(gate)


def _catalog(name: str) -> dict[str, object]:
    stores = yaml.safe_load((STORES / "hacks.yaml").read_text())["stores"]
    found: dict[str, object] = next(s for s in stores if s["name"] == name)
    return found


async def test_reference_store_passes_on_demo_card_with_live_ticks(
    machine: RecordingMachine, run_id: str
) -> None:
    watch = Watch()
    request = EvalRequest(spec=DEMO, store_dir=REFERENCE, seed=7, run_id=run_id, iteration=1)
    await machine.check()
    result = await evaluate(request, machine, watch)
    failed = {g.name: g.detail for g in result.gates if not g.passed}
    assert result.verdict == "pass", failed
    assert result.machine.host == "slurm://bench"
    assert result.throughput_ops_s > 0
    assert watch.ticks, "no benchmark tick came back from the node"
    # The whole evaluation ran in one allocation, released afterwards.
    assert len(machine.opened) == 1
    assert not machine.opened[0].root.exists()


async def test_torn_store_fails_the_gate_it_fails_locally(
    machine: RecordingMachine, run_id: str
) -> None:
    store = STORES / "torn_reads"
    hack = _catalog("torn_reads")
    on_slurm = await evaluate(
        EvalRequest(spec=DEMO, store_dir=store, seed=7, run_id=run_id), machine
    )
    local = await evaluate(
        EvalRequest(spec=DEMO, store_dir=store, seed=7, run_id=f"{run_id}-local"), LocalMachine()
    )
    failed_slurm = {g.name: g.detail for g in on_slurm.gates if not g.passed}
    failed_local = {g.name: g.detail for g in local.gates if not g.passed}
    gate = str(hack["gate"])
    assert on_slurm.verdict == local.verdict == "fail"
    assert gate in failed_slurm and gate in failed_local, (failed_slurm, failed_local)
    for word in hack["detail_contains"]:  # type: ignore[attr-defined]
        assert word in failed_slurm[gate].lower()
