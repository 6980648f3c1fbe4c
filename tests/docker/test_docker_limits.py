"""An evaluation's container runs under the spec's limits, with no network."""

from __future__ import annotations

import pytest

from jitskit_tui.sandbox.base import Limits
from jitskit_tui.sandbox.docker import DockerMachine

pytestmark = pytest.mark.docker

# Reads the limits from whichever cgroup layout the host has (v2, or v1 controllers).
CGROUP_LIMITS = r"""
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo "cpu $(cat /sys/fs/cgroup/cpu.max)"
  echo "mem $(cat /sys/fs/cgroup/memory.max)"
  echo "swap $(cat /sys/fs/cgroup/memory.swap.max)"
  echo "pids $(cat /sys/fs/cgroup/pids.max)"
  echo "cpuset $(cat /sys/fs/cgroup/cpuset.cpus.effective)"
else
  echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
  echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
  echo "memsw $(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null)"
  echo "pids $(cat /sys/fs/cgroup/pids/pids.max)"
  cpuset=/sys/fs/cgroup/cpuset
  echo "cpuset $(cat $cpuset/cpuset.effective_cpus 2>/dev/null || cat $cpuset/cpuset.cpus)"
fi
"""


def _values(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in stdout.splitlines() if line.strip()}


async def test_command_runs_under_cpu_quota_memory_and_pids_limits(
    local_machine: DockerMachine, run_id: str
) -> None:
    limits = Limits(cpus=1.5, memory_bytes=300 << 20, pids=200)
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=limits, data_volume=False
    ) as sandbox:
        result = await sandbox.run(["sh", "-c", CGROUP_LIMITS], timeout_s=30)
        assert result.ok, result.stderr
        seen = _values(result.stdout)
        applied = sandbox.limits_applied
    if seen["cpu"][0].isdigit() and len(seen["cpu"]) == 2 and seen["cpu"][1].isdigit():
        quota, period = int(seen["cpu"][0]), int(seen["cpu"][1])
        assert quota / period == pytest.approx(1.5)
    assert seen["mem"] == [str(300 << 20)]
    assert seen.get("memsw", seen.get("swap")) in ([str(300 << 20)], ["0"])
    assert seen["pids"] == ["200"]
    assert applied.cpus == pytest.approx(1.5)
    assert applied.memory_bytes == 300 << 20
    assert applied.pids == 200
    assert applied.network is False


async def test_cpuset_pins_the_container_to_the_spec_cpus(
    local_machine: DockerMachine, run_id: str
) -> None:
    limits = Limits(cpus=1, memory_bytes=256 << 20, cpuset=(0,))
    async with await local_machine.open(
        run_id=run_id, iteration=None, limits=limits, data_volume=False
    ) as sandbox:
        result = await sandbox.run(["nproc"], timeout_s=30)
        cgroup = await sandbox.run(["sh", "-c", CGROUP_LIMITS], timeout_s=30)
    assert result.stdout.strip() == "1"
    assert _values(cgroup.stdout)["cpuset"] == ["0"]
    assert sandbox.limits_applied.cpuset == (0,)


async def test_more_cpus_than_the_host_has_is_clamped_with_a_warning(
    local_machine: DockerMachine, run_id: str
) -> None:
    limits = Limits(cpus=4096, memory_bytes=256 << 20)
    async with await local_machine.open(
        run_id=run_id, iteration=None, limits=limits, data_volume=False
    ) as sandbox:
        applied = sandbox.limits_applied
    assert applied.cpus < 4096
    assert any("4096 CPUs" in warning for warning in applied.warnings)


async def test_container_has_no_network_and_a_read_only_root(
    local_machine: DockerMachine, run_id: str
) -> None:
    async with await local_machine.open(
        run_id=run_id, iteration=None, limits=Limits(cpus=1, memory_bytes=256 << 20),
        data_volume=True,
    ) as sandbox:  # fmt: skip
        links = await sandbox.run(["sh", "-c", "ls /sys/class/net"], timeout_s=30)
        root = await sandbox.run(["sh", "-c", "touch /usr/x"], timeout_s=30)
        scratch = await sandbox.run(["sh", "-c", "touch /data/b /tmp/c && id -u"], timeout_s=30)
        work = await sandbox.run(
            ["sh", "-c", "touch /work/a && id -u"], timeout_s=30, access="build"
        )
    assert links.stdout.split() == ["lo"]
    assert root.exit_code != 0 and "Read-only file system" in root.stderr
    assert scratch.ok, scratch.stderr
    assert scratch.stdout.strip() == "1001", "the store runs as a user of its own"
    assert work.ok and work.stdout.strip() == "1000"


async def test_host_facts_name_the_docker_host(local_machine: DockerMachine) -> None:
    facts = await local_machine.host_facts()
    assert facts.cpu_count >= 1
    assert facts.memory_bytes > 0
    assert facts.kernel
    assert facts.cpu_model and facts.cpu_model != "unknown"
    assert facts.docker_version
