"""Talking to a Slurm cluster through its client commands (sbatch, squeue, scontrol,
sinfo, scancel), as a user on a login node does.

Every call has a timeout: a controller that does not answer is a machine error with the
command to try, never a hang. Nothing here knows about evaluations.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from dataclasses import dataclass

from jitskit_tui.sandbox.base import MachineError

CALL_TIMEOUT_S = 30.0
TOOLS = ("sbatch", "srun", "squeue", "scancel", "sinfo", "scontrol")
NO_SLURM_HINT = (
    "run jitskit on a login node of the cluster, where Slurm's client commands are on PATH "
    "(on many clusters: `module load slurm`)"
)


@dataclass(frozen=True)
class Reply:
    """How one Slurm command ended."""

    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def said(self) -> str:
        """What the command said on stderr, without its ``sbatch: error:`` prefixes."""
        lines = [re.sub(r"^\w+: (error: )?", "", line) for line in self.err.splitlines()]
        return "; ".join(line for line in lines if line.strip())


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


async def slurm(
    label: str, *argv: str, timeout_s: float = CALL_TIMEOUT_S, stdin: str | None = None
) -> Reply:
    """Runs one client command; raises :class:`MachineError` when it is missing or hangs."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise MachineError(label, f"`{argv[0]}` is not on PATH", NO_SLURM_HINT) from None
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin is not None else None), timeout_s
        )
    except TimeoutError:
        await _end(proc)
        raise MachineError(
            label,
            f"`{' '.join(argv[:2])}` did not answer within {timeout_s:.0f}s",
            "the Slurm controller may be down or overloaded: try `scontrol ping`",
        ) from None
    except BaseException:
        await _end(proc)
        raise
    assert proc.returncode is not None
    return Reply(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


async def _end(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    with contextlib.suppress(ProcessLookupError):
        await asyncio.shield(proc.wait())


@dataclass(frozen=True)
class JobInfo:
    """A job as the controller knows it (until it forgets finished jobs, MinJobAge)."""

    job_id: str
    state: str
    """``PENDING``, ``RUNNING``, ``COMPLETED``, ``CANCELLED``, ``TIMEOUT``, ``NODE_FAIL``..."""
    reason: str
    nodes: str
    time_limit: str

    @property
    def active(self) -> bool:
        return self.state in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED")


def _field(text: str, key: str) -> str:
    match = re.search(rf"(?:^|\s){key}=(\S*)", text)
    return match.group(1) if match else ""


async def job_info(label: str, job_id: str) -> JobInfo | None:
    """The job's state, or ``None`` when the controller no longer knows it."""
    reply = await slurm(label, "scontrol", "--oneliner", "show", "job", job_id)
    if not reply.ok:
        return None
    return JobInfo(
        job_id=job_id,
        state=_field(reply.out, "JobState"),
        reason=_field(reply.out, "Reason"),
        nodes=_field(reply.out, "NodeList"),
        time_limit=_field(reply.out, "TimeLimit"),
    )


@dataclass(frozen=True)
class NodeShape:
    """One node of a partition: its name, CPUs, memory and state."""

    name: str
    cpus: int
    memory_mb: int
    state: str


async def partition_nodes(label: str, partition: str) -> list[NodeShape] | None:
    """The partition's nodes, or ``None`` when the partition does not exist."""
    shown = await slurm(label, "scontrol", "--oneliner", "show", "partition", partition)
    if not shown.ok:
        # scontrol says "Partition X not found" on stdout.
        said = f"{shown.out} {shown.err}".lower()
        if "not found" in said or "invalid partition" in said:
            return None
        raise MachineError(
            label,
            f"cannot read partition {partition}: {shown.said or shown.out.strip()}",
            "try `scontrol ping`",
        )
    listed = await slurm(
        label, "sinfo", "--noheader", "--Node", "--partition", partition, "--format", "%N|%c|%m|%T"
    )
    nodes = []
    for line in listed.out.splitlines():
        parts = line.strip().split("|")
        if len(parts) == 4 and parts[1].isdigit():
            memory = int(parts[2]) if parts[2].isdigit() else 0
            nodes.append(NodeShape(parts[0], int(parts[1]), memory, parts[3]))
    return nodes


async def partitions(label: str) -> list[str]:
    """Every partition's name, for hints."""
    reply = await slurm(label, "sinfo", "--noheader", "--format", "%R")
    return sorted({line.strip() for line in reply.out.splitlines() if line.strip()})


async def pending_ahead(label: str, partition: str, job_id: str) -> tuple[int, str] | None:
    """How many pending jobs of the partition come before ours, and why ours waits;
    ``None`` when ours is no longer pending."""
    reply = await slurm(
        label,
        "squeue",
        "--noheader",
        "--partition",
        partition,
        "--states",
        "PENDING",
        "--format",
        "%i|%Q|%r",
    )
    rows = []
    for line in reply.out.splitlines():
        parts = line.strip().split("|")
        if len(parts) == 3 and parts[1].isdigit():
            rows.append((parts[0], int(parts[1]), parts[2]))
    ours = next((row for row in rows if row[0] == job_id), None)
    if ours is None:
        return None
    # The scheduler starts pending jobs by priority; among equals, the older (lower) id.
    _, our_priority, reason = ours
    ahead = sum(
        1
        for jid, priority, _ in rows
        if priority > our_priority or (priority == our_priority and _id(jid) < _id(job_id))
    )
    return ahead, reason


def _id(job_id: str) -> int:
    digits = re.match(r"\d+", job_id)
    return int(digits.group(0)) if digits else 0


async def cancel(label: str, *targets: str, signal: str | None = None) -> None:
    """``scancel``: whole jobs, or ``JOB.STEP`` steps; never raises for a finished one."""
    if not targets:
        return
    argv = ["scancel", *([f"--signal={signal}"] if signal else []), *targets]
    with contextlib.suppress(MachineError):
        await slurm(label, *argv)
