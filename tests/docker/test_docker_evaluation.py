"""Whole evaluations (build, gates, benchmark) in a container: the image holds what the
harness needs, the verdicts match what the local sandbox gives, ticks stream live, and
an out-of-memory candidate fails the memory gate."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest
import yaml
from dockerkit import LOCAL_URL, Sshd, TlsDaemon, leftovers

from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import Limits
from jitskit_tui.sandbox.docker import DockerMachine, open_machine
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import SpecCard, load_spec_text

from support.observers import Recorder

pytestmark = [pytest.mark.docker, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "jitskit_tui" / "harness" / "cpp"
REFERENCE = REPO / "jitskit_tui" / "harness" / "stores" / "reference"
HACKS = REPO / "tests" / "stores"


def small_spec(
    durability: str = "none", memory_limit: str = "1GiB", value_size: int = 64
) -> SpecCard:
    data_dir = "" if durability == "none" else "  data_dir: {medium: disk, size: 1GiB}\n"
    return load_spec_text(
        f"""\
name: docker-small
requirement:
  operations: [read, upsert, delete, read_modify_write]
  durability: {durability}
environment:
  cpus: 2
  memory_limit: {memory_limit}
  store_memory_budget: 128MiB
{data_dir}workload:
  mix: {{read: 0.5, update: 0.3, read_modify_write: 0.1, delete: 0.1}}
  distribution: {{kind: zipfian, constant: 0.99}}
  record_count: 20k
  operation_count: 2M
  duration: 2s
  value_size: {value_size}
  threads: 2
loop:
  iterations: 3
  quick: {{operation_count: 300k, duration: 1.5s}}
  trials: {{min: 2, max: 2}}
""",
        file="docker-small.yaml",
    )


class SharedObjects(DockerMachine):
    """Keeps harness objects under one key for every Docker host in these tests: they are
    built in the same image, so compiling them once per host only costs time."""

    @property
    def cache_key(self) -> str:
        return f"docker-tests|{self.image}"


def _machine(
    url: str, *, ssh_config: Path | None = None, environ: dict[str, str] | None = None
) -> SharedObjects:
    plain = open_machine(url, ssh_config=ssh_config, environ=environ)
    return SharedObjects(plain.endpoint, ssh_config=plain.ssh_config)


async def _evaluate(
    machine: DockerMachine, spec: SpecCard, store: Path
) -> tuple[EvalResult, Recorder]:
    watch = Recorder()
    request = EvalRequest(
        spec=spec, store_dir=store, seed=7, run_id=f"test-eval-{uuid.uuid4().hex[:8]}"
    )
    try:
        result = await evaluate(request, machine, watch)
    finally:
        await machine.aclose()
    return result, watch


def _hack(name: str) -> dict[str, object]:
    catalog = yaml.safe_load((HACKS / "hacks.yaml").read_text())
    found: dict[str, object] = next(s for s in catalog["stores"] if s["name"] == name)
    return found


BASELINES_PROGRAM = r"""
#include <leveldb/db.h>
#include <lmdb.h>
#include <rocksdb/db.h>
#include <tbb/concurrent_hash_map.h>
#include <cstdio>
int main() {
  tbb::concurrent_hash_map<int, int> map;
  map.insert({1, 2});
  std::printf("rocksdb %s leveldb %d.%d lmdb %s tbb %zu\n",
              rocksdb::GetRocksVersionAsString().c_str(), leveldb::kMajorVersion,
              leveldb::kMinorVersion, mdb_version(nullptr, nullptr, nullptr),
              map.size());
}
"""


async def test_image_compiles_against_the_harness_header_and_links_the_baselines(
    local_machine: DockerMachine, run_id: str, tmp_path: Path
) -> None:
    (tmp_path / "baselines.cc").write_text(BASELINES_PROGRAM)
    async with await local_machine.open(
        run_id=run_id, iteration=0, limits=Limits(cpus=2, memory_bytes=1 << 30), data_volume=False
    ) as sandbox:
        include, probe = f"{LAYOUT.work}/include", f"{LAYOUT.work}/probe"
        await sandbox.upload(HARNESS / "include", include)
        await sandbox.upload(REFERENCE, LAYOUT.store)
        await sandbox.upload(tmp_path, probe)
        store = await sandbox.run(
            ["g++", "-std=c++17", "-O2", "-pthread", f"-I{include}", "-c", "store.cc",
             "-o", f"{LAYOUT.work}/store.o"],
            timeout_s=300, cwd=LAYOUT.store, access="build",
        )  # fmt: skip
        linked = await sandbox.run(
            ["g++", "-std=c++17", "-O1", "baselines.cc", "-o", "baselines",
             "-lrocksdb", "-lleveldb", "-llmdb", "-ltbb", "-pthread"],
            timeout_s=300, cwd=probe, access="build",
        )  # fmt: skip
        ran = await sandbox.run(["./baselines"], timeout_s=60, cwd=probe)
    assert store.ok, store.stderr[-2000:]
    assert linked.ok, linked.stderr[-2000:]
    assert ran.ok and ran.stdout.startswith("rocksdb "), ran.stdout + ran.stderr


async def test_reference_store_passes_on_the_local_daemon_with_live_ticks(
    docker_api: docker.APIClient,
) -> None:
    result, watch = await _evaluate(_machine(LOCAL_URL), small_spec(), REFERENCE)
    failed = {g.name: g.detail for g in result.gates if not g.passed}
    assert result.verdict == "pass", failed
    assert watch.ticks, "no progress tick reached the observer"
    assert result.throughput_ops_s > 0
    # Trials, and the machine's conditions read from inside the container.
    assert len(result.trials) == 2 and len(watch.trials) == 2
    assert result.conditions is not None and result.conditions.cpu_count > 0
    assert result.conditions.load_before != (0.0, 0.0, 0.0)


async def test_reference_store_with_crash_durability_passes_using_the_data_volume(
    docker_api: docker.APIClient,
) -> None:
    result, _ = await _evaluate(_machine(LOCAL_URL), small_spec("process_crash"), REFERENCE)
    failed = {g.name: g.detail for g in result.gates if not g.passed}
    assert result.verdict == "pass", failed
    assert "durability" in {g.name for g in result.gates}


async def test_reference_store_passes_over_tcp_with_tls(tls_daemon: TlsDaemon) -> None:
    environ = {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tls_daemon.cert_dir)}
    result, watch = await _evaluate(
        _machine(tls_daemon.url, environ=environ), small_spec(), REFERENCE
    )
    failed = {g.name: g.detail for g in result.gates if not g.passed}
    assert result.verdict == "pass", failed
    assert watch.ticks


async def test_reference_store_passes_over_ssh(sshd: Sshd) -> None:
    result, watch = await _evaluate(
        _machine(sshd.url, ssh_config=sshd.ssh_config), small_spec(), REFERENCE
    )
    failed = {g.name: g.detail for g in result.gates if not g.passed}
    assert result.verdict == "pass", failed
    assert watch.ticks


async def test_a_broken_store_fails_the_gate_it_fails_locally(
    docker_api: docker.APIClient,
) -> None:
    hack = _hack("ignore_deletes")
    store = HACKS / "ignore_deletes"
    in_docker, _ = await _evaluate(_machine(LOCAL_URL), small_spec(), store)
    local = await evaluate(
        EvalRequest(spec=small_spec(), store_dir=store, seed=7, run_id="test-eval-local"),
        LocalMachine(),
    )
    failed_docker = {g.name: g.detail for g in in_docker.gates if not g.passed}
    failed_local = {g.name: g.detail for g in local.gates if not g.passed}
    assert in_docker.verdict == local.verdict == "fail"
    # The gate the catalog names catches it on both machines, with the same finding.
    gate = str(hack["gate"])
    assert gate in failed_docker and gate in failed_local, (failed_docker, failed_local)
    for word in hack["detail_contains"]:  # type: ignore[attr-defined]
        assert word in failed_docker[gate].lower()


async def test_out_of_memory_candidate_fails_the_memory_gate(
    docker_api: docker.APIClient,
) -> None:
    spec = small_spec(memory_limit="384MiB")
    result, _ = await _evaluate(_machine(LOCAL_URL), spec, HACKS / "budget_ignored")
    memory = next(g for g in result.gates if g.name == "memory")
    assert result.verdict == "fail"
    assert not memory.passed
    assert "OOM" in memory.detail or "out-of-memory" in memory.detail


def test_no_evaluation_left_anything_behind(docker_api: docker.APIClient) -> None:
    containers = docker_api.containers(all=True, filters={"label": "io.jitskit.tool"})
    mine = [c for c in containers if c["Labels"].get("io.jitskit.run", "").startswith("test-eval")]
    assert mine == []
    assert leftovers(docker_api, "manual") == []
