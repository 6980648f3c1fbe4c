"""An evaluation measures its peers beside the candidate, in the same sandbox, as rounds
of trials in a random order; it compares them paired, keeps every trial's figures, and
gives a failed candidate exactly the minimum of rounds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from evalkit import small_spec

from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.harness.peers import Peer
from jitskit_tui.harness.stopping import trial_settings
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.sandbox.local import LocalMachine

from support import REPO
from support.observers import Recorder
from support.twins import REFERENCE, slower_twin

pytestmark = pytest.mark.slow


def run(request: EvalRequest, watch: Recorder) -> EvalResult:
    return asyncio.run(evaluate(request, LocalMachine(), watch))


def test_peers_are_measured_in_interleaved_rounds_and_compared_paired(tmp_path: Path) -> None:
    spec = small_spec()
    twin = slower_twin(tmp_path / "twin", 2000)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "store.cc").write_text("#error this peer does not build\n")
    watch = Recorder()
    request = EvalRequest(
        spec=spec,
        store_dir=REFERENCE,
        seed=7,
        trials=trial_settings(spec, "quick").pinned(3),
        peers=(Peer("twin", twin), Peer("broken", broken)),
    )
    result = run(request, watch)
    assert result.verdict == "pass", result.failed_gates

    # Every round ran each side that built once, in an order drawn per round.
    rounds = [[t.side for t in watch.trials if t.index == i] for i in range(3)]
    assert all(sorted(r) == ["candidate", "twin"] for r in rounds), rounds
    assert {tick.side for tick in watch.ticks} == {"candidate", "twin"}
    assert {tick.trial for tick in watch.ticks} == {0, 1, 2}

    (comparison,) = result.comparisons
    assert comparison.other == "twin" and comparison.verdict == "faster"
    assert comparison.ratio.n == 3 and comparison.ratio.ci_low is not None
    assert comparison.ratio.ci_low > 1.0

    twin_outcome, broken_outcome = result.peers["twin"], result.peers["broken"]
    assert twin_outcome.verdict == "pass" and len(twin_outcome.trials) == 3
    assert twin_outcome.throughput is not None and twin_outcome.throughput_ops_s > 0
    assert broken_outcome.verdict == "fail" and broken_outcome.trials == []
    assert "does not build" in broken_outcome.failed_gates[0].detail

    assert [t.index for t in result.trials] == [0, 1, 2]
    assert result.throughput is not None and result.throughput.n == 3
    assert result.throughput_ops_s == result.throughput.point
    assert result.floor_ns_per_op is not None and result.floor_ns_per_op > 0
    assert result.conditions is not None and result.conditions.pinned_cpus == [0, 1]


def test_a_candidate_that_fails_a_gate_gets_exactly_the_minimum_of_rounds() -> None:
    spec = small_spec()
    settings = trial_settings(spec, "quick")
    request = EvalRequest(
        spec=spec,
        store_dir=REPO / "tests" / "stores" / "torn_reads",
        seed=7,
        trials=type(settings)(
            min=2,
            max=5,
            target=0.001,
            max_seconds=600,
            seconds=settings.seconds,
            warmup_s=settings.warmup_s,
        ),
    )
    result = run(request, Recorder())
    assert result.verdict == "fail" and "concurrency" in [g.name for g in result.failed_gates]
    assert len(result.trials) == 2
    assert result.throughput_ops_s > 0 and not result.counts
