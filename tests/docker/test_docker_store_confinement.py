"""On a Docker host as on this one: the store writes only its data and its /tmp, and a card
larger than the host is refused before any container is made."""

from __future__ import annotations

import docker
import pytest
from dockerkit import leftovers

from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.paths import packaged
from jitskit_tui.sandbox.base import Limits, MachineTooSmall
from jitskit_tui.sandbox.docker import DockerMachine
from jitskit_tui.spec import load_spec_text

pytestmark = pytest.mark.docker

PROBE = (
    'for d in / /etc /dev/shm /dev/mqueue /work /work/build /var/tmp; do touch "$d/p" 2>/dev/null '
    '&& echo "$d"; done; echo x > /work/build/jitskit-harness || rm /work/build/jitskit-harness'
)


async def test_a_store_command_writes_only_data_and_tmp(
    local_machine: DockerMachine, run_id: str
) -> None:
    limits = Limits(cpus=1, memory_bytes=256 << 20)
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=limits, data_volume=True
    ) as sandbox:
        built = await sandbox.run(
            ["sh", "-c", "mkdir -p /work/build && echo elf > /work/build/jitskit-harness"],
            timeout_s=30,
            access="build",
        )
        assert built.ok, built.stderr
        denied = await sandbox.run(["sh", "-c", PROBE], timeout_s=30)
        allowed = await sandbox.run(
            ["sh", "-c", "mkdir -p /data/store && echo ok > /data/store/f && echo ok > /tmp/t"],
            timeout_s=30,
        )
        fresh = await sandbox.run(["ls", "-A", "/tmp"], timeout_s=30)
        binary = await sandbox.run(["cat", "/work/build/jitskit-harness"], timeout_s=30)
    assert denied.stdout == "", f"writable to the store: {denied.stdout.split()}"
    assert "Permission denied" in denied.stderr
    assert allowed.ok, allowed.stderr
    assert fresh.stdout == "", "each run of the store starts with an empty /tmp"
    assert binary.stdout == "elf\n"


async def test_a_card_larger_than_the_host_is_refused_naming_its_cpus(
    local_machine: DockerMachine, docker_api: docker.APIClient, run_id: str
) -> None:
    host_cpus = (await local_machine.facts()).cpu_count
    card = packaged("specs", "demo.yaml").read_text()
    spec = load_spec_text(card.replace("cpus: 2", f"cpus: {host_cpus + 1}"), file="big.yaml")
    request = EvalRequest(
        spec=spec, store_dir=packaged("harness", "stores", "reference"), run_id=run_id
    )
    with pytest.raises(MachineTooSmall) as refused:
        await evaluate(request, local_machine)
    assert refused.value.machine == local_machine.label
    assert f"it needs {host_cpus + 1} CPUs, the machine has {host_cpus} CPU" in str(refused.value)
    assert leftovers(docker_api, run_id) == []
