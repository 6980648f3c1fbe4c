"""The one-node Slurm cluster of the tests, and what the tests look at on it: our jobs in
the queue, and processes that still mention an evaluation's staging folder."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from jitskit_tui.sandbox.base import Limits
from jitskit_tui.sandbox.slurm import SlurmMachine
from jitskit_tui.sandbox.slurm_sandbox import SlurmSandbox

REPO = Path(__file__).resolve().parents[2]
START_SCRIPT = REPO / "scripts" / "start-slurm.sh"
PARTITION = "bench"
CANNOT_INSTALL = 2
"""start-slurm.sh's exit status when the cluster cannot be installed on this machine."""
SMALL = Limits(cpus=1, memory_bytes=256 << 20)


def start_cluster() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(START_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )


def queued_jobs(name_prefix: str) -> list[str]:
    """``ID NAME STATE`` of this user's jobs whose name starts with ``name_prefix``."""
    out = subprocess.run(
        ["squeue", "--me", "--noheader", "--format", "%i %j %T"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    rows = [line.split() for line in out.splitlines()]
    return [" ".join(row) for row in rows if len(row) == 3 and row[1].startswith(name_prefix)]


def jobs_after_settling(name_prefix: str, timeout_s: float = 30.0) -> list[str]:
    """Our jobs still listed once cancelled ones have had time to leave the queue."""
    deadline = time.monotonic() + timeout_s
    while True:
        jobs = queued_jobs(name_prefix)
        if not jobs or time.monotonic() > deadline:
            return jobs
        time.sleep(0.2)


def processes_mentioning(text: str) -> list[str]:
    """``PID COMMAND`` of live processes whose command line contains ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name} {cmdline}")
    return found


class RecordingMachine(SlurmMachine):
    """The real machine, remembering the sandboxes it opened (to look for leftovers)."""

    def __init__(self, staging: Path) -> None:
        super().__init__(PARTITION, staging)
        self.opened: list[SlurmSandbox] = []

    async def open(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        time_limit_s: float | None = None,
    ) -> SlurmSandbox:
        sandbox = await super().open(
            run_id=run_id,
            iteration=iteration,
            limits=limits,
            data_volume=data_volume,
            time_limit_s=time_limit_s,
        )
        self.opened.append(sandbox)
        return sandbox
