"""Evaluating a store end to end: the reference store passes every gate at every
durability level, and the result carries the figures the UI and the loop rely on."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from evalkit import evaluate_store, small_spec

from jitskit_tui.harness.bundle import Bundle

from support import REPO, SPECS, run_jitskit

REFERENCE = REPO / "jitskit_tui" / "harness" / "stores" / "reference"

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("durability", ["none", "process_crash", "power_loss"])
def test_reference_store_passes_every_gate(durability: str) -> None:
    result = evaluate_store(small_spec(durability), REFERENCE)
    failed = {g.name: g.detail for g in result.gates if not g.passed}
    assert result.verdict == "pass", failed
    names = [g.name for g in result.gates]
    assert {"build", "integrity", "api", "concurrency", "memory", "benchmark"} <= set(names)
    assert ("durability" in names) == (durability != "none")
    assert result.throughput_ops_s > 0


def test_result_carries_per_op_latency_memory_timeline_and_machine() -> None:
    result = evaluate_store(small_spec("none"), REFERENCE)
    assert set(result.ops) >= {"read", "update", "read_modify_write", "delete", "scan"}
    read = result.ops["read"]
    assert read.count > 0 and read.ops_s > 0
    assert 0 < read.p50_us <= read.p99_us <= read.p999_us
    assert 0 < result.memory_peak_bytes <= result.memory_budget_bytes
    assert len(result.timeline) >= 2 and all(p.ops_s >= 0 for p in result.timeline)
    machine = result.machine
    assert machine.cpu_count > 0 and machine.memory_bytes > 0
    assert machine.cpu_model != "unknown" and machine.kernel != "unknown"
    assert machine.compiler.startswith(("gcc", "clang"))
    assert machine.limits["cpuset"] == [0, 1]
    assert len(result.spec_sha256) == 64


def _copy_reference(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(REFERENCE, store)
    return store


def test_compile_error_fails_the_build_gate_with_the_compiler_message(tmp_path: Path) -> None:
    store = _copy_reference(tmp_path)
    (store / "broken.cc").write_text("int f() { return undefined_name; }\n")
    result = evaluate_store(small_spec(), store)
    build = result.gates[0]
    assert result.verdict == "fail" and build.name == "build" and not build.passed
    assert "undefined_name" in build.detail and "broken.cc" in build.detail


def test_missing_factory_function_is_explained(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "store.cc").write_text('#include "jitskit/kvstore.h"\nint unrelated() { return 1; }\n')
    result = evaluate_store(small_spec(), store)
    assert "jitskit_create_store" in result.gates[0].detail


def test_build_flags_outside_the_spec_allow_list_are_refused(tmp_path: Path) -> None:
    store = _copy_reference(tmp_path)
    (store / "BUILD_FLAGS").write_text("-O3\n-ffast-math\n")
    result = evaluate_store(small_spec(), store)
    assert not result.gates[0].passed
    assert "-ffast-math" in result.gates[0].detail and "allowed" in result.gates[0].detail


def test_modified_harness_fails_integrity(tmp_path: Path) -> None:
    def tamper(bundle: Bundle) -> None:
        header = bundle.harness / "include" / "jitskit" / "kvstore.h"
        header.write_text(header.read_text() + "\n// harmless-looking change\n")

    result = evaluate_store(small_spec(), REFERENCE, prepare_bundle=tamper)
    integrity = next(g for g in result.gates if g.name == "integrity")
    assert not integrity.passed and "kvstore.h" in integrity.detail
    assert result.verdict == "fail"


def test_bench_cli_exit_codes_and_json(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    spec = tmp_path / "small.yaml"
    spec.write_text(
        (SPECS / "demo.yaml")
        .read_text()
        .replace("record_count: 100k", "record_count: 20k")
        .replace(
            "quick: {duration: 2.5s}",
            "quick: {operation_count: 300k, duration: 1.5s}\n  trials: {min: 2, max: 2}",
        )
    )
    ok = run_jitskit("bench", str(spec), "--store", str(REFERENCE), "--json", str(out), timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS" in ok.stdout and "ops/s" in ok.stdout
    data = json.loads(out.read_text())
    for key in (
        "verdict",
        "gates",
        "throughput_ops_s",
        "ops",
        "memory_peak_bytes",
        "memory_budget_bytes",
        "timeline",
        "machine",
        "spec_sha256",
        "trials",
        "throughput",
        "conditions",
        "floor_ns_per_op",
    ):
        assert key in data
    assert data["verdict"] == "pass"
    assert len(data["trials"]) == 2 and data["throughput"]["n"] == 2
    assert data["throughput"]["ci_low"] <= data["throughput_ops_s"] <= data["throughput"]["ci_high"]
    assert data["conditions"]["pinned_cpus"] == [0, 1]
    assert "over 2 trials" in ok.stdout and "conditions: load" in ok.stdout
    assert {"name", "passed", "detail"} <= set(data["gates"][0])

    broken = _copy_reference(tmp_path)
    (broken / "store.cc").write_text("#error deliberately broken\n")
    failed = run_jitskit("bench", str(spec), "--store", str(broken), timeout=600)
    assert failed.returncode == 1 and "deliberately broken" in failed.stdout

    usage = run_jitskit("bench", str(spec), "--store", str(tmp_path / "missing"))
    assert usage.returncode == 2 and "not a directory" in usage.stderr

    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text("name: [\n")
    assert run_jitskit("bench", str(bad_spec), "--store", str(REFERENCE)).returncode == 2


def test_bench_cli_says_what_to_install_without_bubblewrap(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "g++", "nm", "ldd", "taskset"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    env_path = os.environ["PATH"]
    os.environ["PATH"] = str(bin_dir)
    try:
        result = run_jitskit("bench", str(SPECS / "demo.yaml"), "--store", str(REFERENCE))
    finally:
        os.environ["PATH"] = env_path
    assert result.returncode == 3
    assert "apt-get install bubblewrap" in result.stderr
