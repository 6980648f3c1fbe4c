"""Nothing an evaluation holds on the cluster outlives it: an evaluation cancelled mid-run
leaves no job and no process, and the job of a client killed outright is cancelled by the
next client that connects."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest
from slurmkit import REPO, RecordingMachine, jobs_after_settling, processes_mentioning, queued_jobs

from jitskit_tui.harness.eval_run import EvalRequest, QuietObserver
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.harness.stopping import trial_settings
from jitskit_tui.protocol.results import BenchTick, GateResult, TrialFigures
from jitskit_tui.sandbox.slurm import SlurmMachine
from jitskit_tui.sandbox.slurm_jobs import job_name, run_jobs_prefix
from jitskit_tui.spec import load_spec

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

DEMO = load_spec(REPO / "specs" / "demo.yaml")
PINNED = trial_settings(DEMO, "quick").pinned(2)
"""Two trials: these tests are about the machine, not the measurement."""
REFERENCE = REPO / "jitskit_tui" / "harness" / "stores" / "reference"


class FirstTick(QuietObserver):
    """Sets an event when the benchmark's first tick arrives: the store is running."""

    def __init__(self) -> None:
        self.ticked = asyncio.Event()

    def on_step(self, step: str) -> None:
        pass

    def on_tick(self, tick: BenchTick) -> None:
        self.ticked.set()

    def on_gate(self, gate: GateResult) -> None:
        pass

    def on_trial(self, figures: TrialFigures) -> None:
        pass


async def test_evaluation_cancelled_mid_benchmark_leaves_no_job_and_no_process(
    machine: RecordingMachine, run_id: str
) -> None:
    watch = FirstTick()
    request = EvalRequest(spec=DEMO, trials=PINNED, store_dir=REFERENCE, seed=7, run_id=run_id)
    task = asyncio.create_task(evaluate(request, machine, watch))
    ticked = asyncio.create_task(watch.ticked.wait())
    await asyncio.wait({task, ticked}, timeout=600, return_when=asyncio.FIRST_COMPLETED)
    assert watch.ticked.is_set(), "the benchmark never ticked" + (
        f": {task.exception()!r}" if task.done() else ""
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (sandbox,) = machine.opened
    assert jobs_after_settling(run_jobs_prefix(run_id)) == []
    assert processes_mentioning(str(sandbox.root)) == []
    assert not sandbox.root.exists()


CLIENT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from jitskit_tui.sandbox.base import Limits
    from jitskit_tui.sandbox.slurm import SlurmMachine

    async def main() -> None:
        machine = SlurmMachine("bench", Path(sys.argv[1]))
        box = await machine.open(
            run_id=sys.argv[2], iteration=1,
            limits=Limits(cpus=1, memory_bytes=256 << 20), data_volume=False,
        )
        print(box.job_id, box.root, flush=True)
        await box.run(["sleep", "600"], timeout_s=900)

    asyncio.run(main())
    """
)


def _jailed_sleep(root: str) -> bool:
    return any("bwrap" in p and p.endswith("sleep 600 ") for p in processes_mentioning(root))


async def test_job_of_a_killed_client_is_cancelled_at_the_next_connection(
    cluster: str, staging: Path, run_id: str
) -> None:
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, str(staging), run_id, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert client.stdout is not None
        job_id, root = (await client.stdout.readline()).decode().split()
        # Killed while its command runs in the jail on the node.
        for _ in range(600):
            if _jailed_sleep(root):
                break
            await asyncio.sleep(0.1)
    finally:
        client.kill()
        await client.wait()
    assert _jailed_sleep(root), "the client's command never started on the node"
    assert any(line.startswith(f"{job_id} ") for line in queued_jobs("jitskit-")), (
        "the killed client's job should still hold its node until someone reaps it"
    )
    assert processes_mentioning(root), "the command should still run after its client died"

    machine = SlurmMachine("bench", staging)
    await machine.check()

    assert f"job {job_id} ({job_name(run_id, 1)})" in machine.reaped
    assert root in machine.reaped
    assert jobs_after_settling(job_name(run_id, 1)) == []
    assert processes_mentioning(root) == []
    assert not await asyncio.to_thread(os.path.exists, root)
