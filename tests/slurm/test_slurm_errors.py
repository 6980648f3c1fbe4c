"""What the cluster refuses or breaks, said with what to do: no Slurm on PATH, an unknown
partition, more CPUs than a node has, a request sbatch refuses, a request the scheduler
will never start, a node that fails under a command, an allocation cancelled by someone
else, and an allocation that reaches its time limit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slurmkit import SMALL, RecordingMachine, processes_mentioning, start_cluster

from jitskit_tui.sandbox.base import Limits, MachineError, RunResult
from jitskit_tui.sandbox.slurm import SlurmMachine
from jitskit_tui.sandbox.slurm_cli import JobInfo, slurm
from jitskit_tui.sandbox.slurm_sandbox import SlurmSandbox, machine_failure

pytestmark = [pytest.mark.slurm]


async def test_no_slurm_commands_on_path_says_to_use_a_login_node(
    staging: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MachineError) as caught:
        await SlurmMachine("bench", staging).check()
    assert "not on PATH" in caught.value.message and "sbatch" in caught.value.message
    assert "login node" in caught.value.hint


async def test_unknown_partition_lists_the_partitions_there_are(
    cluster: str, staging: Path
) -> None:
    with pytest.raises(MachineError) as caught:
        await SlurmMachine("no-such-partition", staging).check()
    assert "'no-such-partition' does not exist" in caught.value.message
    assert "slurm://PARTITION" in caught.value.hint and "bench" in caught.value.hint


async def test_more_cpus_than_any_node_has_is_refused_before_queueing(
    machine: RecordingMachine, run_id: str
) -> None:
    with pytest.raises(MachineError) as caught:
        await machine.open(
            run_id=run_id,
            iteration=1,
            limits=Limits(cpus=512, memory_bytes=1 << 30),
            data_volume=False,
        )
    assert "no node of partition bench has 512 CPUs" in caught.value.message
    assert "environment.cpus" in caught.value.hint
    assert list(machine.staging.iterdir()) == []


async def test_request_sbatch_refuses_says_what_sbatch_said(
    machine: RecordingMachine, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sbatch reads its options from the environment too: a constraint no node offers.
    monkeypatch.setenv("SBATCH_CONSTRAINT", "no-such-feature")
    with pytest.raises(MachineError) as caught:
        await machine.open(run_id=run_id, iteration=1, limits=SMALL, data_volume=False)
    assert "the cluster refused the allocation" in caught.value.message
    assert "Invalid feature specification" in caught.value.message
    assert "sbatch --parsable --partition=bench" in caught.value.hint
    assert list(machine.staging.iterdir()) == []


async def test_request_the_scheduler_will_never_start_is_cancelled_with_the_reason(
    cluster: str, staging: Path, run_id: str
) -> None:
    partition = f"{run_id}-short"
    await slurm(
        cluster, "scontrol", "create", f"PartitionName={partition}", "Nodes=ALL", "MaxTime=1"
    )
    try:
        machine = SlurmMachine(partition, staging)
        with pytest.raises(MachineError) as caught:
            await machine.open(
                run_id=run_id, iteration=1, limits=SMALL, data_volume=False, time_limit_s=1800
            )
    finally:
        await slurm(cluster, "scontrol", "delete", f"PartitionName={partition}")
    # Slurm names an exclusive request's misfit PartitionConfig, a shared one's
    # PartitionTimeLimit: either way the request is hopeless.
    assert "will never start job" in caught.value.message
    assert "Partition" in caught.value.message
    assert f"scontrol show partition {partition}" in caught.value.hint


@contextlib.asynccontextmanager
async def sleeping(
    machine: RecordingMachine, run_id: str
) -> AsyncIterator[tuple[SlurmSandbox, asyncio.Task[RunResult]]]:
    """An allocation and a command in its jail that runs until something else ends it."""
    async with await machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False
    ) as sandbox:
        command = asyncio.create_task(sandbox.run(["sleep", "300"], timeout_s=600))
        for _ in range(600):
            jailed = processes_mentioning(str(sandbox.root))
            if any("bwrap" in p and "sleep 300" in p for p in jailed):
                break
            await asyncio.sleep(0.1)
        else:
            command.cancel()
            raise AssertionError("the command never started on the node")
        yield sandbox, command


async def test_node_failure_under_a_command_is_a_machine_error_saying_run_again(
    machine: RecordingMachine, run_id: str
) -> None:
    async with sleeping(machine, run_id) as (sandbox, command):
        node = f"NodeName={sandbox.node}"
        try:
            await slurm(machine.label, "scontrol", "update", node, "State=DOWN", "Reason=test")
            with pytest.raises(MachineError) as caught:
                await command
        finally:
            await slurm(machine.label, "scontrol", "update", node, "State=RESUME")
            assert (await asyncio.to_thread(start_cluster)).returncode == 0
    assert f"the node of job {sandbox.job_id}" in caught.value.message
    assert "failed while running `sleep`" in caught.value.message
    assert "run the evaluation again" in caught.value.hint


async def test_allocation_cancelled_by_someone_else_is_a_machine_error(
    machine: RecordingMachine, run_id: str
) -> None:
    async with sleeping(machine, run_id) as (sandbox, command):
        await slurm(machine.label, "scancel", sandbox.job_id)
        with pytest.raises(MachineError) as caught:
            await command
    assert f"job {sandbox.job_id}" in caught.value.message and "CANCELLED" in caught.value.message
    assert f"scontrol show job {sandbox.job_id}" in caught.value.hint


def test_time_limit_reached_says_to_raise_the_budget() -> None:
    # Slurm checks time limits about once a minute: the message is tested on the state
    # the controller reports for such a job (JobState=TIMEOUT Reason=TimeLimit).
    job = JobInfo(
        job_id="41", state="TIMEOUT", reason="TimeLimit", nodes="vm", time_limit="00:30:00"
    )
    error = machine_failure("slurm://bench", job, "41", "running `jitskit-harness`")
    assert "job 41 on vm reached its time limit (00:30:00)" in error.message
    assert "budget" in error.hint
