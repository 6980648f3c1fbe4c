"""While an allocation waits in the queue, the observer is told where it stands ("queued on
bench, 1 job ahead"), and told again when it starts."""

from __future__ import annotations

import asyncio

import pytest
from slurmkit import SMALL, RecordingMachine

from jitskit_tui.sandbox.base import QueueState
from jitskit_tui.sandbox.slurm_cli import slurm

pytestmark = [pytest.mark.slurm]


async def _hold_node(name: str) -> str:
    """Another user's job on the whole node (or one queued behind it)."""
    reply = await slurm(
        "test", "sbatch", "--parsable", "--partition=bench", "--exclusive", f"--job-name={name}",
        "--time=10", "--output=/dev/null", "--wrap", "exec sleep 600",
    )  # fmt: skip
    assert reply.ok, reply.err
    return reply.out.strip().split(";")[0]


async def test_waiting_allocation_reports_jobs_ahead_then_its_start(
    machine: RecordingMachine, run_id: str
) -> None:
    seen: list[QueueState | None] = []
    machine.on_queue = seen.append
    blocker = await _hold_node(f"{run_id}-blocker")
    queued_first = await _hold_node(f"{run_id}-queued-first")
    try:
        opening = asyncio.create_task(
            machine.open(run_id=run_id, iteration=1, limits=SMALL, data_volume=False)
        )
        for _ in range(600):
            if any(s is not None and s.ahead == 1 for s in seen) or opening.done():
                break
            await asyncio.sleep(0.1)
        waiting = [s for s in seen if s is not None]
        assert waiting, "the observer heard nothing while the allocation queued"
        assert waiting[-1].describe().startswith("queued on bench, 1 job ahead"), waiting
    finally:
        await slurm("test", "scancel", blocker, queued_first)
    async with await opening as sandbox:
        result = await sandbox.run(["true"], timeout_s=60)
    assert result.ok
    assert seen[-1] is None, "the observer was not told that the allocation started"
