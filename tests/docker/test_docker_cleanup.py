"""Nothing outlives an evaluation: close removes the container and volumes, and what a
killed client left behind is reaped by the next client that talks to the host."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import uuid

import docker
import pytest
from dockerkit import LOCAL_URL, leftovers

from jitskit_tui.sandbox.base import Limits
from jitskit_tui.sandbox.docker import DockerMachine, open_machine
from jitskit_tui.sandbox.docker_reaper import L_RUN

pytestmark = pytest.mark.docker

CRASHING_CLIENT = textwrap.dedent(
    """
    import asyncio, sys
    from jitskit_tui.sandbox.base import Limits
    from jitskit_tui.sandbox.docker import open_machine

    async def main() -> None:
        machine = open_machine(sys.argv[1])
        sandbox = await machine.open(run_id=sys.argv[2], iteration=3,
                                     limits=Limits(cpus=1, memory_bytes=256 << 20),
                                     data_volume=True)
        print("opened", flush=True)
        await sandbox.run(["sleep", "300"], timeout_s=600)

    asyncio.run(main())
    """
)


async def test_close_removes_the_container_and_its_volumes(
    local_machine: DockerMachine, docker_api: docker.APIClient, run_id: str
) -> None:
    sandbox = await local_machine.open(
        run_id=run_id, iteration=7, limits=Limits(cpus=1, memory_bytes=256 << 20),
        data_volume=True,
    )  # fmt: skip
    made = leftovers(docker_api, run_id)
    assert len([m for m in made if m.startswith("volume")]) == 2
    assert len([m for m in made if m.startswith("container")]) == 1
    container = docker_api.inspect_container(sandbox.container_id)
    assert container["Config"]["Labels"][L_RUN] == run_id
    assert container["Config"]["Labels"]["io.jitskit.iteration"] == "7"
    await sandbox.close()
    await sandbox.close()  # idempotent
    assert leftovers(docker_api, run_id) == []


async def test_a_killed_clients_leftovers_are_reaped_by_the_next_client(
    docker_api: docker.APIClient,
) -> None:
    run_id = f"test-crash-{uuid.uuid4().hex[:8]}"
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHING_CLIENT, LOCAL_URL, run_id, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert client.stdout is not None
        line = await asyncio.wait_for(client.stdout.readline(), timeout=120)
        assert line.strip() == b"opened"
        os.kill(client.pid, signal.SIGKILL)
        await asyncio.wait_for(client.wait(), timeout=30)
    finally:
        if client.returncode is None:
            client.kill()
            await client.wait()
    assert len(leftovers(docker_api, run_id)) == 3
    machine = open_machine(LOCAL_URL)
    try:
        await machine.check()
        reaped = machine.reaped
    finally:
        await machine.aclose()
    assert leftovers(docker_api, run_id) == []
    assert len(reaped.containers) >= 1 and len(reaped.volumes) >= 2


async def test_a_live_clients_sandbox_is_left_alone(
    local_machine: DockerMachine, docker_api: docker.APIClient, run_id: str
) -> None:
    async with await local_machine.open(
        run_id=run_id, iteration=None, limits=Limits(cpus=1, memory_bytes=256 << 20),
        data_volume=False,
    ):  # fmt: skip
        other = open_machine(LOCAL_URL)
        try:
            await other.check()
        finally:
            await other.aclose()
        assert len(leftovers(docker_api, run_id)) == 2
