"""`jitskit baselines`: each baseline's throughput with its interval, cached figures said
to be unpaired, the baselines a candidate is paired with; and when no baseline passes,
the last line says which gate of which baseline failed, and why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jitskit_tui.cli.main import cli
from jitskit_tui.harness.baseline_runs import (
    _cached,
    _store,
    baselines_to_pair,
    none_passed,
    paired_baselines,
)
from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.protocol.results import BaselineReport, EvalResult, GateResult

TINY = Path(__file__).parent / "tui" / "tiny.yaml"

needs_compiler = pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")


@needs_compiler
def test_no_baseline_passed_names_the_failed_gate_and_why(tmp_path: Path) -> None:
    """A budget below what the data needs: mutex-map really fails its memory gate."""
    card = tmp_path / "starved.yaml"
    card.write_text(
        TINY.read_text().replace("store_memory_budget: 128MiB", "store_memory_budget: 1MiB")
    )
    result = CliRunner().invoke(
        cli, ["baselines", str(card), "--only", "mutex-map", "--refresh"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("best comparable: none passed the gates: mutex-map failed memory: ")
    assert "over the store's budget of 1 MiB" in last


def _failed(name: str, *gates: GateResult) -> EvalResult:
    return EvalResult(name=name, verdict="fail", gates=list(gates), spec_sha256="0")


def test_every_failed_baseline_and_gate_is_named() -> None:
    report = BaselineReport(
        results=[
            _failed(
                "rocksdb",
                GateResult(name="build", passed=True),
                GateResult(name="durability", passed=False, detail="lost 3 acked writes\nmore"),
            ),
            _failed(
                "lmdb",
                GateResult(name="api", passed=False, detail=""),
                GateResult(name="memory", passed=False, detail="x" * 300),
            ),
        ]
    )
    text = none_passed(report)
    assert text.startswith("none passed the gates: rocksdb failed durability: lost 3 acked")
    assert "more" not in text  # the first line of a detail
    assert "lmdb failed api: no detail; memory: " + "x" * 199 + "…" in text


def test_no_comparable_baseline_is_said_as_such() -> None:
    report = BaselineReport(results=[], skipped={"mutex-map": "meets durability up to none"})
    assert "no baseline is comparable" in none_passed(report)


def _passed(name: str, point: float, low: float | None, high: float | None) -> EvalResult:
    return EvalResult(
        name=name,
        verdict="pass",
        gates=[GateResult(name="build", passed=True)],
        spec_sha256="0",
        throughput_ops_s=point,
        throughput=Interval(point=point, ci_low=low, ci_high=high, n=5),
    )


def test_a_candidate_is_paired_with_the_best_and_every_baseline_whose_interval_overlaps_it() -> (
    None
):
    report = BaselineReport(
        results=[
            _passed("lmdb", 9.0, 8.0, 10.2),  # overlaps the best's interval
            _passed("tbb-chm", 10.0, 9.5, 10.6),  # the best
            _passed("mutex-map", 3.0, 2.8, 3.2),  # clearly slower
            _passed("leveldb", 9.9, None, None),  # measured before trials: no interval
            _failed("rocksdb", GateResult(name="api", passed=False)),
        ]
    )
    assert paired_baselines(report) == ["tbb-chm", "lmdb"]
    peers = baselines_to_pair(report)
    assert [p.name for p in peers] == ["baseline:tbb-chm", "baseline:lmdb"]
    assert all((p.store_dir / "adapter.cc").is_file() for p in peers)
    assert peers[0].link_libraries == ("tbb",)
    assert "-I/work/peers/baseline-tbb-chm/store" in (peers[0].store_flags or ())


def test_a_cached_figure_from_before_trials_is_measured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    old = EvalResult(name="mutex-map", verdict="pass", gates=[], spec_sha256="0")
    _store("old", old)
    assert _cached("old") is None
    _store("new", _passed("mutex-map", 3.0, 2.8, 3.2))
    assert _cached("new") is not None


@needs_compiler
def test_each_baseline_is_shown_with_its_interval_and_a_cached_figure_as_unpaired() -> None:
    args = ["baselines", str(TINY), "--only", "mutex-map"]
    fresh = CliRunner().invoke(cli, [*args, "--refresh"], catch_exceptions=False)
    assert fresh.exit_code == 0, fresh.output
    line = next(x for x in fresh.output.splitlines() if x.startswith("mutex-map: pass"))
    assert "ops/s [" in line and "over 2 trials" in line and "cached" not in line
    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    line = next(x for x in again.output.splitlines() if x.startswith("mutex-map: pass"))
    assert "(cached: measured alone earlier, unpaired)" in line
    assert "a candidate is paired against: mutex-map" in again.output
