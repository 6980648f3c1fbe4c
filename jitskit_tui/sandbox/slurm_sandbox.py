"""One evaluation's place on a Slurm cluster: an exclusive allocation on one node, and a
folder in the staging area that the client and the node share.

Files go through the shared folder: the client copies into ``<stage>/work`` (and out of
it) directly, the node sees the same path. Every command is a step of the allocation
(``srun --jobid --overlap``) that starts the node runner (:mod:`slurm_node`), which
enters the same bubblewrap jail as the local sandbox under a resource group of its own
and writes its status where the store cannot reach. Standard output streams back line by
line through srun. A timed-out or cancelled command has its step SIGKILLed
(``scancel --signal=KILL JOB.STEP``), so the durability gate's ``kill -9`` means what it
says; closing cancels the allocation and removes the folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access
from jitskit_tui.sandbox import cgroups, slurm_node
from jitskit_tui.sandbox.base import (
    Limits,
    LimitsApplied,
    MachineError,
    RunResult,
    StdoutLine,
)
from jitskit_tui.sandbox.local import FolderSandbox, exit_status
from jitskit_tui.sandbox.slurm_cli import JobInfo, cancel, job_info
from jitskit_tui.sandbox.streams import pump_lines

RUNNER_MODULE = "jitskit_tui.sandbox.slurm_node"
NODE_PATH = "/usr/local/bin:/usr/bin:/bin"
KILL_GRACE_S = 15.0
RELEASE_WAIT_S = 20.0
_SLURM_LINE = ("srun: ", "slurmstepd: ", "slurmstepd-")


def stage_runner(root: Path) -> Path:
    """Copies the node runner and the one module it uses into ``root/runner``."""
    runner = root / "runner"
    package = runner / "jitskit_tui" / "sandbox"
    package.mkdir(parents=True, exist_ok=True)
    (runner / "jitskit_tui" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    for module in (cgroups, slurm_node):
        assert module.__file__ is not None
        shutil.copy2(module.__file__, package / Path(module.__file__).name)
    return runner


@dataclass(frozen=True)
class NodeStatus:
    """What the node runner wrote about one command."""

    returncode: int
    oom_killed: bool
    peak_memory_bytes: int | None
    memory_limited: bool
    pids_limited: bool
    cpus: tuple[int, ...]
    warnings: tuple[str, ...]
    stopped_by: int | None

    @classmethod
    def read(cls, path: Path) -> NodeStatus | None:
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            return cls(
                returncode=int(data["returncode"]),
                oom_killed=bool(data["oom_killed"]),
                peak_memory_bytes=data.get("peak_memory_bytes"),
                memory_limited=bool(data["memory_limited"]),
                pids_limited=bool(data["pids_limited"]),
                cpus=tuple(int(c) for c in data["cpus"]),
                warnings=tuple(str(w) for w in data["warnings"]),
                stopped_by=data.get("stopped_by"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def machine_failure(label: str, job: JobInfo | None, job_id: str, doing: str) -> MachineError:
    """The error for an allocation that ended under a command, with what to do next."""
    if job is None:
        return MachineError(
            label,
            f"job {job_id} is gone (while {doing})",
            "the controller no longer knows it; run the evaluation again",
        )
    where = f"job {job_id} on {job.nodes or 'its node'}"
    if job.state == "TIMEOUT":
        return MachineError(
            label,
            f"{where} reached its time limit ({job.time_limit}) while {doing}",
            "the evaluation took longer than its budget allowed; raise the budget, or use "
            "a card (or a size) that finishes sooner",
        )
    if job.state == "NODE_FAIL" or job.reason in ("NodeDown", "NodeFail"):
        return MachineError(
            label,
            f"the node of {where} failed while {doing}",
            "run the evaluation again (another node will be used); tell the cluster's "
            "administrators if it happens again",
        )
    if job.state == "PREEMPTED":
        return MachineError(
            label,
            f"{where} was preempted while {doing}",
            "use a partition or QOS whose jobs are not preempted (SBATCH_QOS)",
        )
    return MachineError(
        label,
        f"{where} ended ({job.state}, {job.reason}) while {doing}",
        f"see `scontrol show job {job_id}`; it may have been cancelled by someone else",
    )


class SlurmSandbox(FolderSandbox):
    """A running allocation (its job id and node) and its staging folder."""

    def __init__(
        self, label: str, root: Path, *, job_id: str, node: str, limits: Limits, data_volume: bool
    ) -> None:
        super().__init__(root, data_volume)
        self.label = label
        self.job_id = job_id
        self.node = node
        self.limits = limits
        self.limits_applied = LimitsApplied(
            cpus=limits.cpus, cpuset=None, memory_bytes=None, pids=None, network=False
        )
        self.runner = root / "runner"
        self.status_dir = root / "status"
        self._count = itertools.count(1)
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self.slurm_messages: list[str] = []
        """What srun and slurmstepd said, kept out of the commands' own stderr."""

    # Starting ------------------------------------------------------------------------

    async def start(self) -> None:
        """Runs a no-op in the jail: proves the path works and learns the limits applied."""
        result, status = await self._command(["true"], timeout_s=120.0)
        if status is None or not result.ok:
            raise MachineError(
                self.label,
                f"the sandbox does not start on node {self.node}: "
                + (
                    result.stderr.strip()[-1500:]
                    or "; ".join(self.slurm_messages[-5:])
                    or "no output"
                ),
                "run `jitskit` with the same --machine once more: the connection check lists "
                "what the node is missing",
            )
        warnings = [f"on node {self.node}: {w}" for w in status.warnings]
        self.limits_applied = LimitsApplied(
            cpus=self.limits.cpus,
            cpuset=status.cpus,
            memory_bytes=self.limits.memory_bytes if status.memory_limited else None,
            pids=self.limits.pids if status.pids_limited else None,
            network=False,
            warnings=tuple(warnings),
        )

    # Commands ------------------------------------------------------------------------

    def srun_argv(self, argv: Sequence[str], *, cpus: int) -> list[str]:
        """The step that runs ``argv`` on the allocation's node, with a clean environment."""
        return [
            "srun",
            f"--jobid={self.job_id}",
            "--overlap",
            "--nodes=1",
            "--ntasks=1",
            f"--cpus-per-task={cpus}",
            "--quiet",
            "--export=NONE",
            f"--chdir={self.root}",
            "/usr/bin/env",
            f"PATH={NODE_PATH}",
            *argv,
        ]

    def _runner_argv(self, status: Path, jailed: Sequence[str]) -> list[str]:
        cpuset = ",".join(map(str, self.limits.cpuset)) if self.limits.cpuset else ""
        return [
            f"PYTHONPATH={self.runner}",
            "python3",
            "-S",
            "-m",
            RUNNER_MODULE,
            "--status",
            str(status),
            "--memory",
            str(self.limits.memory_bytes),
            "--pids",
            str(self.limits.pids),
            "--cpus",
            str(max(1, round(self.limits.cpus))),
            "--cpuset",
            cpuset,
            "--",
            *jailed,
        ]

    async def run(
        self,
        argv: Sequence[str],
        *,
        timeout_s: float,
        on_stdout_line: StdoutLine | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str = LAYOUT.work,
        access: Access = "store",
    ) -> RunResult:
        if not argv:
            raise ValueError("argv is empty")
        result, _status = await self._command(
            self.bwrap_argv(argv, env or {}, cwd, access),
            timeout_s=timeout_s,
            on_line=on_stdout_line,
            name=argv[0],
        )
        return result

    async def _command(
        self,
        jailed: Sequence[str],
        *,
        timeout_s: float,
        on_line: StdoutLine | None = None,
        name: str = "the sandbox's first command",
    ) -> tuple[RunResult, NodeStatus | None]:
        if self._closed:
            raise MachineError(
                self.label, f"cannot run {name}: the sandbox is closed", "open a new sandbox"
            )
        status_path = self.status_dir / f"{next(self._count)}.json"
        step_argv = self.srun_argv(
            self._runner_argv(status_path, jailed), cpus=max(1, round(self.limits.cpus))
        )
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *step_argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=16 << 20,
        )
        assert proc.stdout is not None and proc.stderr is not None
        out = asyncio.create_task(pump_lines(proc.stdout, on_line))
        err = asyncio.create_task(pump_lines(proc.stderr, None))
        timed_out = False
        try:
            try:
                await asyncio.wait_for(proc.wait(), timeout_s)
            except TimeoutError:
                timed_out = True
                await self._kill_step(proc, status_path)
            stdout, stderr = await asyncio.gather(out, err)
        except BaseException:
            # Cancelled (an abort, or the durability gate's kill -9): SIGKILL the step.
            await asyncio.shield(self._kill_step(proc, status_path))
            out.cancel()
            err.cancel()
            raise
        stderr = self._keep_slurm_lines(stderr)
        status = NodeStatus.read(status_path)
        wall = time.monotonic() - started
        if not timed_out and (status is None or status.stopped_by is not None):
            # Not our kill: the allocation ended (time limit, node failure, scancel), or
            # the step never started.
            job = await settled_job(self.label, self.job_id)
            if job is None or job.state != "RUNNING":
                raise machine_failure(self.label, job, self.job_id, f"running `{name}`")
            if status is None:
                raise MachineError(
                    self.label,
                    f"`{name}` did not start on node {self.node} (job {self.job_id}): "
                    + ("; ".join(self.slurm_messages[-3:]) or stderr.strip()[-500:] or "no output"),
                    "the node may be missing python3 or cannot see the staging folder; "
                    "reconnect to have the node checked",
                )
        code: int | None = None
        sig: int | None = int(signal.SIGKILL)
        if status is not None and not timed_out:
            code, sig = exit_status(status.returncode)
        return (
            RunResult(
                exit_code=code,
                signal=sig,
                timed_out=timed_out,
                oom_killed=bool(status and status.oom_killed),
                stdout=stdout,
                stderr=stderr,
                wall_s=wall,
                peak_memory_bytes=status.peak_memory_bytes if status else None,
            ),
            status,
        )

    def _keep_slurm_lines(self, stderr: str) -> str:
        kept = []
        for line in stderr.splitlines(keepends=True):
            if line.startswith(_SLURM_LINE):
                self.slurm_messages.append(line.rstrip())
            else:
                kept.append(line)
        del self.slurm_messages[:-50]
        return "".join(kept)

    async def _kill_step(self, proc: asyncio.subprocess.Process, status_path: Path) -> None:
        """SIGKILLs every process of the command's step; the allocation stays."""
        started = status_path.with_name(status_path.name + slurm_node.STARTED_SUFFIX)
        step = ""
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            step = str(json.loads(started.read_text())["step"])
        if step and proc.returncode is None:
            await cancel(self.label, step, signal="KILL")
        elif proc.returncode is None:
            # The step has not started: srun cancels its launch on SIGTERM.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), KILL_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()

    # Teardown ------------------------------------------------------------------------

    async def close(self) -> None:
        """Cancels the allocation and removes the staging folder. Idempotent; never masks
        the evaluation's own outcome (a failure to clean up is left to the next reaping)."""
        if self._close_task is None:
            self._close_task = asyncio.ensure_future(self._release())
        await asyncio.shield(self._close_task)

    async def _release(self) -> None:
        self._closed = True
        await release(self.label, self.job_id, self.root)


async def settled_job(label: str, job_id: str) -> JobInfo | None:
    """The job's state once it is past COMPLETING, which hides how it ended."""
    deadline = time.monotonic() + RELEASE_WAIT_S
    while True:
        job = await job_info(label, job_id)
        if job is None or job.state != "COMPLETING" or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.2)


async def release(label: str, job_id: str, root: Path | None) -> None:
    """Cancels a job, waits until the controller has ended it, removes its folder."""
    with contextlib.suppress(MachineError):
        await cancel(label, job_id)
        deadline = time.monotonic() + RELEASE_WAIT_S
        while time.monotonic() < deadline:
            job = await job_info(label, job_id)
            if job is None or not job.active:
                break
            await asyncio.sleep(0.1)
    if root is not None:
        await asyncio.to_thread(shutil.rmtree, root, True)
