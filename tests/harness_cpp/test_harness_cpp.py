"""The C++ harness on its own: unit tests, the trace tool, and the reference store
through every harness mode (built with g++ from ``sources.txt``, as the engine does)."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from harnesskit import Built, events, gate_line, hooked_store, run, write_config

from jitskit_tui.harness.modes import progress_from, tick_from
from jitskit_tui.protocol.results import BenchFigures

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


# Correct on small key sets; once it holds 10000 keys it ignores every other
# overwrite. The gates' hot keys never see it; the bench's verify phase must.
LOSES_UPDATES = hooked_store(
    upsert="if (map_.size() >= 10000 && map_.count(k) && n % 2 == 0) return Status::kOk;"
)

# A correct store that prints a passing gate line to stdout from Close and from a
# static destructor: neither may reach the harness's JSON output.
PRINTS_FORGERIES = hooked_store(
    preamble=r"""
const char kForged[] = "{\"event\":\"gate\",\"name\":\"api\",\"passed\":true,"
                       "\"detail\":\"forged\"}\n";
struct PrintsAtExit {
  ~PrintsAtExit() { std::fputs(kForged, stdout); std::fflush(stdout); }
} prints_at_exit;
""",
    close="std::fputs(kForged, stdout); std::fflush(stdout);",
)

# A correct store that is slow on purpose: Open takes half a second, every other call
# sleeps about 50 us. Progress events must keep coming while nothing completes, and
# count the calls while they do.
SLUGGISH = hooked_store(opening="usleep(500000);", call="usleep(50);")


def test_unit_tests_pass(built: Built) -> None:
    result = run(built.unit)
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, 0 failed", last), result.stdout
    assert result.returncode == 0


def test_trace_prints_first_ops_deterministically(built: Built, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "t.cfg", mix_read=0.5, mix_update=0, mix_scan=0.5, operations="read,upsert,scan"
    )
    first = run(built.trace, "--config", config, "--ops", 50)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 50
    for line in lines:
        assert re.fullmatch(r"READ 0x[0-9a-f]{16}|SCAN 0x[0-9a-f]{16} \d+", line), line
    assert run(built.trace, "--config", config, "--ops", 50).stdout == first.stdout
    other = write_config(
        tmp_path / "u.cfg",
        mix_read=0.5,
        mix_update=0,
        mix_scan=0.5,
        operations="read,upsert,scan",
        seed=8,
    )
    assert run(built.trace, "--config", other, "--ops", 50).stdout != first.stdout


def test_bad_config_exits_2_naming_the_key(built: Built, tmp_path: Path) -> None:
    config = write_config(tmp_path / "bad.cfg", mix_reed=0.5)
    for binary, args in ((built.harness, ["bench"]), (built.trace, [])):
        result = run(binary, *args, "--config", config)
        assert result.returncode == 2
        assert "unknown key 'mix_reed'" in result.stderr
        assert "line 8" in result.stderr


def test_usage_errors_exit_2(built: Built, tmp_path: Path) -> None:
    config = write_config(tmp_path / "ok.cfg")
    assert run(built.harness).returncode == 2
    assert run(built.harness, "fly", "--config", config).returncode == 2
    no_pipes = run(built.harness, "durability-writer", "--config", config)
    assert no_pipes.returncode == 2
    assert "--report-fd" in no_pipes.stderr
    no_harness = run(built.durability, "--config", config, "--kill-after", 1)
    assert no_harness.returncode == 2
    assert "--harness" in no_harness.stderr


@pytest.mark.parametrize("durability", ["none", "process_crash", "power_loss"])
def test_reference_passes_gate_api(built: Built, tmp_path: Path, durability: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(
        tmp_path / "api.cfg",
        operations="read,upsert,delete,rmw,scan",
        durability=durability,
        data_dir=data if durability != "none" else "",
    )
    gate = gate_line(run(built.harness, "gate-api", "--config", config), "api")
    assert gate["passed"], gate["detail"]
    assert "scans" in gate["detail"]
    if durability != "none":
        assert "Close/Open" in gate["detail"]


def test_reference_passes_gate_concurrency(built: Built, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.cfg", operations="read,upsert,delete,rmw,scan", gate_ops=8000, threads=3
    )
    gate = gate_line(run(built.harness, "gate-concurrency", "--config", config), "concurrency")
    assert gate["passed"], gate["detail"]
    assert gate["detail"].startswith("3 threads")


def test_bench_emits_phases_ticks_and_a_result(built: Built, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "b.cfg",
        operation_count=0,
        duration_s=0.6,
        tick_ms=100,
        mix_read=0.4,
        mix_update=0.2,
        mix_scan=0.1,
        mix_rmw=0.2,
        mix_insert=0.1,
        operations="read,upsert,rmw,scan",
        mem_budget_bytes=1 << 30,
        cpus="0",
    )
    result = run(built.harness, "bench", "--config", config)
    assert result.returncode == 0, result.stderr
    out = events(result.stdout)
    phases = [e["phase"] for e in out if e["event"] == "phase"]
    assert phases == ["generate", "load", "run", "verify"]
    ticks = [e for e in out if e["event"] == "tick"]
    assert len(ticks) >= 3
    assert all(
        t["ops_s"] >= 0
        and set(t["per_op"]) <= {"read", "update", "insert", "scan", "read_modify_write"}
        for t in ticks
    )
    assert [t["ops"] for t in ticks] == sorted(t["ops"] for t in ticks)
    res = out[-1]
    assert res["event"] == "result"
    assert 0.55 < res["elapsed_s"] < 1.5
    assert res["errors"] == 0, res["first_error"]
    assert res["integrity_failures"] == 0, res["first_integrity_failure"]
    assert res["verified_keys"] > 0
    assert set(res["ops"]) == {"read", "update", "insert", "scan", "read_modify_write"}
    assert sum(op["count"] for op in res["ops"].values()) == res["total_ops"]
    assert res["throughput_ops_s"] == pytest.approx(res["total_ops"] / res["elapsed_s"], rel=1e-3)
    for op in res["ops"].values():
        assert 0 < op["p50_us"] <= op["p90_us"] <= op["p99_us"] <= op["p999_us"] <= op["max_us"]
    assert res["memory_peak_bytes"] > 0
    assert res["memory_budget_bytes"] == 1 << 30
    machine = res["machine"]
    assert machine["cpu_count"] >= 1 and machine["memory_bytes"] > 0
    assert machine["kernel"].startswith("Linux") and machine["compiler"]


def test_bench_counts_operation_bound_exactly(built: Built, tmp_path: Path) -> None:
    config = write_config(tmp_path / "n.cfg", operation_count=12345, threads=2, tick_ms=1000)
    result = run(built.harness, "bench", "--config", config)
    res = events(result.stdout)[-1]
    assert res["total_ops"] == 12345
    assert res["errors"] == 0 and res["integrity_failures"] == 0


def test_bench_verify_catches_updates_lost_at_scale(built: Built, tmp_path: Path) -> None:
    source = tmp_path / "loses_updates.cc"
    source.write_text(LOSES_UPDATES)
    harness = built.harness_with(source, tmp_path / "harness-loses-updates")
    small = write_config(tmp_path / "api.cfg", record_count=100)
    gate = gate_line(run(harness, "gate-api", "--config", small), "api")
    assert gate["passed"], "the gate's 8192 keys stay below the store's threshold"
    config = write_config(tmp_path / "b.cfg", record_count=20000, operation_count=100000)
    result = events(run(harness, "bench", "--config", config).stdout)[-1]
    assert result["integrity_failures"] > 0
    assert "was acknowledged: that write was lost" in result["first_integrity_failure"]


def test_store_output_never_mixes_with_harness_json(built: Built, tmp_path: Path) -> None:
    source = tmp_path / "prints.cc"
    source.write_text(PRINTS_FORGERIES)
    harness = built.harness_with(source, tmp_path / "harness-prints")
    config = write_config(tmp_path / "p.cfg", record_count=100)
    result = run(harness, "gate-api", "--config", config)
    gate = gate_line(result, "api")
    assert gate["passed"] and gate["detail"] != "forged"
    assert "forged" in result.stderr


def test_token_is_echoed_and_a_missing_one_is_tampering(built: Built, tmp_path: Path) -> None:
    config = write_config(tmp_path / "t.cfg", record_count=100)
    token = "a1B2c3D4e5F6g7H8i9J0"
    result = subprocess.run(
        [str(built.harness), "gate-api", "--config", str(config), "--token-fd", "0"],
        input=token + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = events(result.stdout)
    assert lines and all(line["token"] == token for line in lines)
    empty = subprocess.run(
        [str(built.harness), "gate-api", "--config", str(config), "--token-fd", "0"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert empty.returncode == 3
    assert "token" in empty.stderr
    assert empty.stdout == ""


def progress_of(out: list[dict[str, Any]], phase: str) -> list[dict[str, Any]]:
    return [e for e in out if e["event"] == "progress" and e["phase"] == phase]


def test_bench_cuts_warmup_at_a_tick_and_reports_the_steady_window(
    built: Built, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "w.cfg", operation_count=0, duration_s=1.5, warmup_s=0.5, tick_ms=100
    )
    result = run(built.harness, "bench", "--config", config)
    assert result.returncode == 0, result.stderr
    out = events(result.stdout)
    ticks = [e for e in out if e["event"] == "tick"]
    res = out[-1]
    warm = [t for t in ticks if t["warm"]]
    steady = [t for t in ticks if not t["warm"]]
    assert warm and steady and ticks == warm + steady, "warm ticks come first"
    cut = warm[-1]
    assert cut["t_s"] >= 0.5 > max([t["t_s"] for t in warm[:-1]], default=0.0), (
        "the cut is the first tick at 0.5 s or after"
    )
    assert res["warmup_s"] == pytest.approx(cut["t_s"], abs=1e-3)
    assert res["steady_ops"] == res["total_ops"] - cut["ops"]
    assert sum(op["count"] for op in res["ops"].values()) == res["steady_ops"]
    assert res["steady_elapsed_s"] == pytest.approx(res["elapsed_s"] - res["warmup_s"], abs=2e-3)
    assert res["throughput_ops_s"] == pytest.approx(
        res["steady_ops"] / res["steady_elapsed_s"], rel=1e-3
    )
    assert res["whole_run_ops_s"] == pytest.approx(res["total_ops"] / res["elapsed_s"], rel=1e-3)
    assert [t["cpu_s"] for t in ticks] == sorted(t["cpu_s"] for t in ticks)
    assert res["cpu_ns_per_op"] > 0
    # Ticks fall on a 100 ms grid from the run's start: at most one per slot,
    # and a late one does not push the next back.
    slots = [int(t["t_s"] * 10 + 1e-9) for t in ticks]
    assert slots == sorted(set(slots)) and slots[0] >= 1
    gaps = sorted(b["t_s"] - a["t_s"] for a, b in itertools.pairwise(ticks))
    assert 0.09 <= gaps[len(gaps) // 2] <= 0.15


def test_bench_reports_the_driver_floor_below_the_store(built: Built, tmp_path: Path) -> None:
    config = write_config(tmp_path / "f.cfg", operation_count=200000, tick_ms=1000)
    res = events(run(built.harness, "bench", "--config", config).stdout)[-1]
    assert 0 < res["driver_floor_ns_per_op"] < res["cpu_ns_per_op"]
    assert res["warmup_s"] == 0 and res["steady_ops"] == res["total_ops"] == 200000
    assert 1 <= res["latency_sample_every"] <= 256
    assert all(0 < op["timed"] <= op["count"] for op in res["ops"].values())
    skipped = write_config(tmp_path / "g.cfg", operation_count=20000, driver_floor_ms=0)
    unmeasured = events(run(built.harness, "bench", "--config", skipped).stdout)[-1]
    assert unmeasured["driver_floor_ns_per_op"] is None


def test_progress_ticks_in_load_and_gates_even_while_nothing_completes(
    built: Built, tmp_path: Path
) -> None:
    source = tmp_path / "sluggish.cc"
    source.write_text(SLUGGISH)
    harness = built.harness_with(source, tmp_path / "harness-sluggish")
    config = write_config(
        tmp_path / "s.cfg", threads=1, record_count=6000, operation_count=2000, tick_ms=100
    )
    out = events(run(harness, "bench", "--config", config).stdout)
    assert out[-1]["event"] == "result" and out[-1]["errors"] == 0
    opening = progress_of(out, "open")
    assert len(opening) >= 3 and all(e["done"] == 0 and e["total"] == 1 for e in opening)
    load = progress_of(out, "load")
    assert len(load) >= 2 and all(e["total"] == 6000 for e in load)
    assert [e["done"] for e in load] == sorted(e["done"] for e in load)
    assert 0 < load[-1]["done"] <= 6000
    assert [e["t_s"] for e in load] == sorted(e["t_s"] for e in load)

    api_config = write_config(tmp_path / "a.cfg", value_size=65536, tick_ms=100)
    out = events(run(harness, "gate-api", "--config", api_config).stdout)
    assert out[-1]["event"] == "gate" and out[-1]["passed"], out[-1]
    api = progress_of(out, "gate-api")
    assert api[0]["done"] == 0, "ticks come while Open has not returned"
    assert api[-1]["done"] > 0
    assert [e["done"] for e in api] == sorted(e["done"] for e in api)

    gate_config = write_config(tmp_path / "c.cfg", gate_ops=200, tick_ms=100)
    out = events(run(harness, "gate-concurrency", "--config", gate_config).stdout)
    assert out[-1]["event"] == "gate" and out[-1]["passed"], out[-1]
    assert progress_of(out, "open")
    hammer = progress_of(out, "gate-concurrency-hammer")
    assert len(hammer) >= 3 and hammer[-1]["done"] > 0


def test_engine_reads_trial_fields_ticks_and_progress(built: Built, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "e.cfg",
        record_count=300000,
        operation_count=0,
        duration_s=0.5,
        warmup_s=0.2,
        tick_ms=50,
    )
    out = events(run(built.harness, "bench", "--config", config).stdout)
    ticks = [tick_from(e) for e in out if e["event"] == "tick"]
    assert ticks[0].warm and not ticks[-1].warm and ticks[-1].cpu_s > 0
    progress = [progress_from(e) for e in out if e["event"] == "progress"]
    assert progress and progress[0].phase in ("open", "load")
    assert all(p.total in (1, 300000) or p.phase == "verify" for p in progress)
    figures = BenchFigures.model_validate(out[-1])
    assert figures.steady_ops == figures.total_ops - max(t.ops for t in ticks if t.warm)
    assert figures.driver_floor_ns_per_op is not None and figures.cpu_ns_per_op is not None
    assert figures.warmup_s >= 0.2
    old = {k: v for k, v in out[-1].items() if k in ("throughput_ops_s", "elapsed_s", "ops")}
    old.update(memory_peak_bytes=1, memory_budget_bytes=1)
    before = BenchFigures.model_validate(old)
    assert before.driver_floor_ns_per_op is None and before.steady_ops == 0, (
        "results written before the trial fields still load"
    )
