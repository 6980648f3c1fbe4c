"""The jobs jitskit holds on a Slurm cluster: how they are named, submitted, waited for,
and reaped when the client that submitted them is gone.

One evaluation holds one allocation: an ``sbatch`` job whose batch script only sleeps,
so that every command of the evaluation can run in it as a step (``srun --overlap``).
An ``sbatch`` holder rather than ``salloc --no-shell``: its id is known the moment it is
queued (so a cancelled or killed client can always name what to cancel), it waits in the
queue without a client process attached, and it ends by itself at its time limit.

Every job is named ``jitskit-<run>-<iteration>`` and carries a comment naming the client
(host, pid and the pid's start time) and its staging folder; a client that connects
cancels the jobs of clients on its host that are no longer running.
"""

from __future__ import annotations

import asyncio
import getpass
import math
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass

from jitskit_tui.sandbox.base import QUEUE_NOTICE_S, MachineError, QueueObserver, QueueState
from jitskit_tui.sandbox.owner import client_identity, pid_gone
from jitskit_tui.sandbox.slurm_cli import (
    JobInfo,
    Reply,
    cancel,
    job_info,
    partitions,
    pending_ahead,
    slurm,
)

JOB_PREFIX = "jitskit-"
COMMENT_PREFIX = "jitskit "
HOLDER_SCRIPT = (
    "#!/bin/sh\n# jitskit: holds the allocation; commands run in it as steps\nexec sleep infinity\n"
)
_COMMENT = re.compile(
    r"^jitskit client=(?P<host>[^:\s]+):(?P<pid>\d+):(?P<start>\d*) "
    r"run=(?P<run>\S*) iteration=(?P<iteration>\S*) stage=(?P<stage>.*)$"
)

# Pending reasons the scheduler will not get past by waiting: the request itself is wrong.
HOPELESS = {
    "PartitionConfig": "the request does not fit the partition's limits (time, size, nodes)",
    "PartitionNodeLimit": "the partition's node limits forbid it",
    "PartitionTimeLimit": "the time limit is longer than the partition allows",
    "BadConstraints": "no node meets the request",
    "InvalidAccount": "the account is not valid (set SBATCH_ACCOUNT)",
    "InvalidQOS": "the QOS is not valid (set SBATCH_QOS)",
    "QOSMaxCpuPerJobLimit": "the QOS allows fewer CPUs per job",
    "QOSMaxMemoryPerJob": "the QOS allows less memory per job",
    "QOSMaxWallDurationPerJobLimit": "the QOS allows a shorter time limit",
    "AssocMaxCpuPerJobLimit": "your association allows fewer CPUs per job",
    "AssocMaxWallDurationPerJobLimit": "your association allows a shorter time limit",
    "DependencyNeverSatisfied": "a dependency can never be met",
    "JobHeldAdmin": "an administrator holds the job",
}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "run"


def run_jobs_prefix(run_id: str) -> str:
    """What the names of every job of one run start with."""
    return f"{JOB_PREFIX}{_slug(run_id)}-"


def job_name(run_id: str, iteration: int | None) -> str:
    """``jitskit-<run>-<iteration>`` (``x`` outside a run's iterations)."""
    return f"{run_jobs_prefix(run_id)}{'x' if iteration is None else iteration}"


def job_comment(run_id: str, iteration: int | None, stage: str) -> str:
    host, pid, start = client_identity()
    it = "" if iteration is None else str(iteration)
    client = f"client={host}:{pid}:{start}"
    return f"{COMMENT_PREFIX}{client} run={_slug(run_id)} iteration={it} stage={stage}"


@dataclass(frozen=True)
class JobOwner:
    """What a jitskit job's comment says about the client that submitted it."""

    host: str
    pid: int
    start: str
    stage: str

    @classmethod
    def parse(cls, comment: str) -> JobOwner | None:
        match = _COMMENT.match(comment.strip())
        if match is None:
            return None
        return cls(match["host"], int(match["pid"]), match["start"], match["stage"])

    def gone(self) -> bool:
        """Whether its client ran on this host and no longer runs (never this process)."""
        host, pid, _ = client_identity()
        return self.host == host and self.pid != pid and pid_gone(self.pid, self.start)


def time_limit(seconds: float) -> str:
    """Slurm's ``minutes:seconds`` (Slurm enforces it with a granularity of about a minute)."""
    whole = max(60, math.ceil(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True)
class HolderRequest:
    """One exclusive allocation on one node of a partition."""

    partition: str
    cpus: int
    memory_mb: int
    time_limit_s: float
    name: str
    comment: str
    chdir: str
    exclusive: bool = True

    def sbatch_argv(self) -> list[str]:
        return [
            "sbatch",
            "--parsable",
            f"--partition={self.partition}",
            "--nodes=1",
            "--ntasks=1",
            *(["--exclusive"] if self.exclusive else []),
            f"--cpus-per-task={self.cpus}",
            f"--mem={self.memory_mb}M",
            f"--time={time_limit(self.time_limit_s)}",
            f"--job-name={self.name}",
            f"--comment={self.comment}",
            # A node failure ends the evaluation with an error; a silent requeue would
            # start a second allocation nobody waits for.
            "--no-requeue",
            "--output=/dev/null",
            "--error=/dev/null",
            f"--chdir={self.chdir}",
            "--export=NONE",
        ]

    def describe(self) -> str:
        return (
            f"{self.cpus} CPUs and {self.memory_mb} MiB"
            f"{' (exclusive)' if self.exclusive else ''} on partition {self.partition} "
            f"for {time_limit(self.time_limit_s)}"
        )


def refusal(
    label: str, request: HolderRequest, reply: Reply, partitions: list[str]
) -> MachineError:
    """The error for an ``sbatch`` that refused the request, with what to change."""
    said = reply.said or f"sbatch exited with {reply.code}"
    lowered = said.lower()
    if "invalid partition" in lowered:
        return unknown_partition(label, request.partition, partitions)
    if "time limit" in lowered:
        hint = "the partition's MaxTime is shorter (see `sinfo -o '%P %l'`); use another partition"
    elif "account" in lowered or "qos" in lowered:
        hint = "set SBATCH_ACCOUNT / SBATCH_QOS in the environment to ones you may use"
    elif "node configuration" in lowered or "memory" in lowered or "cpu" in lowered:
        hint = (
            "no node of the partition has that many CPUs and that much memory "
            "(see `sinfo -N -o '%N %c %m'`); lower the card's environment.cpus or "
            "memory_limit, or choose a partition with larger nodes"
        )
    else:
        hint = f"run `{shlex.join(request.sbatch_argv())}` by hand to see more"
    return MachineError(
        label, f"the cluster refused the allocation ({request.describe()}): {said}", hint
    )


def unknown_partition(label: str, partition: str, partitions: list[str]) -> MachineError:
    known = ", ".join(partitions) if partitions else "none visible to you"
    return MachineError(
        label,
        f"partition {partition!r} does not exist",
        f"use slurm://PARTITION with one of: {known}",
    )


async def submit(label: str, request: HolderRequest) -> str:
    """Queues the holder job; returns its id."""
    reply = await slurm(label, *request.sbatch_argv(), stdin=HOLDER_SCRIPT)
    if not reply.ok:
        raise refusal(label, request, reply, await partitions(label))
    job_id = reply.out.strip().split(";")[0]
    if not job_id.isdigit():
        raise MachineError(
            label,
            f"sbatch did not print a job id: {reply.out.strip()!r}",
            "check `sbatch --version`",
        )
    return job_id


async def wait_running(
    label: str,
    partition: str,
    job_id: str,
    on_queue: QueueObserver | None,
    *,
    first_poll_s: float = 0.1,
    max_poll_s: float = 5.0,
) -> JobInfo:
    """Waits until the job runs; raises :class:`MachineError` when it never will. The
    observer hears of every change of place, and ``None`` once the wait is over, however
    it ended (started, refused, cancelled)."""
    shown: list[QueueState] = []
    since = time.monotonic()

    def tell(state: QueueState) -> None:
        waited = time.monotonic() - since >= QUEUE_NOTICE_S
        if on_queue is not None and waited and (not shown or shown[-1] != state):
            on_queue(state)
            shown.append(state)

    try:
        return await _poll_until_running(
            label, partition, job_id, tell if on_queue else None, first_poll_s, max_poll_s
        )
    finally:
        if shown and on_queue is not None:
            on_queue(None)


async def _poll_until_running(
    label: str,
    partition: str,
    job_id: str,
    tell: Callable[[QueueState], None] | None,
    first_poll_s: float,
    max_poll_s: float,
) -> JobInfo:
    delay = first_poll_s
    while True:
        info = await job_info(label, job_id)
        if info is None:
            raise MachineError(
                label,
                f"job {job_id} disappeared from the queue before it started",
                "someone may have cancelled it (`scancel`); run the evaluation again",
            )
        if info.state == "RUNNING":
            return info
        if info.state not in ("PENDING", "CONFIGURING"):
            raise MachineError(
                label,
                f"job {job_id} ended before it started: {info.state} ({info.reason})",
                "see `scontrol show job " + job_id + "`; run the evaluation again",
            )
        if info.reason in HOPELESS:
            await cancel(label, job_id)
            raise MachineError(
                label,
                f"the cluster will never start job {job_id} on {partition}: {info.reason}",
                f"{HOPELESS[info.reason]}; `scontrol show partition {partition}` shows them",
            )
        if info.state == "PENDING" and tell is not None:
            place = await pending_ahead(label, partition, job_id)
            if place is not None:
                tell(QueueState(where=partition, ahead=place[0], reason=place[1], job_id=job_id))
        await asyncio.sleep(delay)
        # Poll fast while an idle cluster is about to start it, gently while it queues.
        delay = min(delay * 1.5, max_poll_s)


@dataclass(frozen=True)
class ListedJob:
    job_id: str
    name: str
    owner: JobOwner | None


async def our_jobs(label: str) -> list[ListedJob]:
    """This user's jitskit jobs still in the queue or running."""
    user = f"--user={getpass.getuser()}"  # not --me: Slurm before 20.02 lacks it
    reply = await slurm(label, "squeue", user, "--noheader", "--format", "%i|%j|%k")
    jobs = []
    for line in reply.out.splitlines():
        parts = line.strip().split("|", 2)
        if len(parts) == 3 and parts[1].startswith(JOB_PREFIX):
            jobs.append(ListedJob(parts[0], parts[1], JobOwner.parse(parts[2])))
    return jobs


async def reap_jobs(label: str) -> list[ListedJob]:
    """Cancels jitskit jobs whose client ran on this host and is gone; returns them."""
    orphans = [job for job in await our_jobs(label) if job.owner is not None and job.owner.gone()]
    await cancel(label, *(job.job_id for job in orphans))
    return orphans
