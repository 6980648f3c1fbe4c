"""`jitskit compare SPEC A B`: both sides gated and measured as paired, interleaved trials;
the ratio B/A with its interval and a verdict, per-trial figures and the machine's
conditions; exit 1 naming the side and gate that failed, 2 for sides it cannot read.

The slower side is a twin of the reference store doing about two microseconds of extra
work per operation, several times the reference's own cost: the verdicts cannot flip on
a noisy machine."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support import REPO, run_jitskit
from support.twins import REFERENCE, slower_twin

pytestmark = pytest.mark.slow

CARD = """\
name: compare-small
requirement:
  operations: [read, upsert, delete, read_modify_write]
  durability: none
environment:
  cpus: 2
  memory_limit: 1GiB
  store_memory_budget: 128MiB
workload:
  mix: {read: 0.5, update: 0.4, read_modify_write: 0.1}
  distribution: {kind: zipfian, constant: 0.99}
  record_count: 20k
  operation_count: 300k
  value_size: 64
  threads: 2
loop:
  quick: {duration: 1s}
  trials: {min: 3, max: 3}
"""
TWIN_ROUNDS = 2000
"""About 2 us of xorshift steps per operation (the reference costs well under 1 us)."""
RECORDED = REPO / "tests" / "tui" / "recorded"


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compare") / "card.yaml"
    path.write_text(CARD)
    return path


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return slower_twin(tmp_path_factory.mktemp("twin") / "store", TWIN_ROUNDS)


def compare(card: Path, a: str, b: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_jitskit("compare", str(card), a, b, *extra, timeout=900)


def test_a_store_against_itself_is_the_same_with_an_interval_containing_1(
    card: Path, tmp_path: Path
) -> None:
    out = tmp_path / "same.json"
    done = compare(card, str(REFERENCE), str(REFERENCE), "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert data["verdict"] == "same"
    assert data["ci_low"] <= 1.0 <= data["ci_high"]
    assert data["ci_low"] <= data["ratio"] <= data["ci_high"]
    assert "same" in done.stdout and "B/A = " in done.stdout
    for key in ("trials", "conditions", "machine", "floor_ns_per_op", "gates", "throughput"):
        assert key in data
    assert [t["index"] for t in data["trials"]["A"]] == [0, 1, 2]
    assert [t["index"] for t in data["trials"]["B"]] == [0, 1, 2]
    for trial in data["trials"]["A"] + data["trials"]["B"]:
        assert trial["throughput_ops_s"] > 0 and trial["cpu_ns_per_op"] > 0
        assert trial["warmup_s"] > 0
    assert data["conditions"]["pinned_cpus"] == [0, 1]
    assert len(data["conditions"]["load_before"]) == 3
    assert "conditions: load" in done.stdout


def test_a_store_against_its_slower_twin_is_slower_and_the_reverse_faster(
    card: Path, twin: Path, tmp_path: Path
) -> None:
    slower = compare(card, str(REFERENCE), str(twin), "--json", str(tmp_path / "s.json"))
    assert slower.returncode == 0, slower.stdout + slower.stderr
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["verdict"] == "slower" and data["ci_high"] < 1.0
    faster = compare(card, str(twin), str(REFERENCE), "--json", str(tmp_path / "f.json"))
    assert faster.returncode == 0, faster.stdout + faster.stderr
    data = json.loads((tmp_path / "f.json").read_text())
    assert data["verdict"] == "faster" and data["ci_low"] > 1.0
    assert "faster" in faster.stdout


def test_a_gate_failure_on_one_side_exits_1_naming_the_side_and_gate(card: Path) -> None:
    torn = REPO / "tests" / "stores" / "torn_reads"
    done = compare(card, str(torn), str(REFERENCE))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "A failed the concurrency gate" in done.stdout
    assert "B failed" not in done.stdout


def test_an_iteration_of_a_run_against_a_baseline(card: Path, tmp_path: Path) -> None:
    run = tmp_path / "recorded-run"
    subprocess.run(
        ["git", "clone", "-q", str(RECORDED / "repo.bundle"), str(run)],
        check=True,
        capture_output=True,
    )
    (run / ".jitskit").mkdir()
    shutil.copy(RECORDED / "events.jsonl", run / ".jitskit" / "events.jsonl")
    out = tmp_path / "run.json"
    done = compare(card, "baseline:mutex-map", f"{run}@1", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert data["a"] == "baseline:mutex-map" and data["b"] == f"{run}@1"
    assert data["verdict"] in ("faster", "slower", "same")
    assert len(data["trials"]["A"]) == len(data["trials"]["B"]) == 3


@pytest.mark.parametrize(
    ("side", "says"),
    [
        ("no/such/folder", "a store folder, RUN@N (iteration N of a run), or baseline:NAME"),
        ("baseline:redis", "the baselines are rocksdb, leveldb, lmdb, tbb-chm, mutex-map"),
        ("no-such-run@3", "no run named 'no-such-run'"),
    ],
)
def test_a_side_it_cannot_read_is_a_usage_error_naming_the_forms(
    card: Path, side: str, says: str
) -> None:
    done = compare(card, side, str(REFERENCE))
    assert done.returncode == 2
    assert says in done.stderr and "A and B are each" in done.stderr
