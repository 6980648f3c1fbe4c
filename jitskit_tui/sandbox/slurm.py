"""A Slurm partition as the benchmark machine: ``slurm://PARTITION``.

jitskit runs where jobs can be submitted (a login node). Each evaluation holds one
exclusive allocation on one node (:mod:`slurm_jobs`), so every side of it (candidate,
incumbent, baselines) is measured in the same window on the same machine, with nobody
else's job beside it. Its files go through a staging folder the nodes share
(:class:`SlurmSettings`); its commands run on the node in the same bubblewrap jail as
``local`` (:mod:`slurm_sandbox`). Connecting checks the partition and a node's
prerequisites (:mod:`slurm_probe`) and cancels jobs that crashed clients left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from jitskit_tui.config import ConfigError, load_user_config
from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.sandbox import facts as host_facts
from jitskit_tui.sandbox.base import BenchMachine, Limits, MachineError, QueueObserver
from jitskit_tui.sandbox.owner import client_identity, pid_gone
from jitskit_tui.sandbox.slurm_cli import (
    NO_SLURM_HINT,
    NodeShape,
    missing_tools,
    partition_nodes,
    partitions,
    slurm,
)
from jitskit_tui.sandbox.slurm_jobs import (
    HolderRequest,
    job_comment,
    job_name,
    reap_jobs,
    submit,
    unknown_partition,
    wait_running,
)
from jitskit_tui.sandbox.slurm_probe import NodeReport, probe_script
from jitskit_tui.sandbox.slurm_sandbox import SlurmSandbox, release, stage_runner

SCHEME = "slurm://"
PARTITION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
STAGING_ENV = "JITSKIT_SLURM_STAGING"
DEFAULT_TIME_LIMIT_S = 30 * 60.0
"""An evaluation's allocation ends after this long unless ``open`` is given its budget."""
ALLOCATION_SLACK_S = 120.0
"""Added to an evaluation's budget for its allocation: the budget bounds the evaluation's
phases; the allocation also holds the uploads, each command's step launch and the release."""
MEMORY_HEADROOM_BYTES = 256 << 20
"""Asked of Slurm beyond the card's limit: the node runner, srun's step daemon and the
jail's own processes live in the allocation too, outside the sandbox's limit."""
CHECK_LIMITS = Limits(cpus=1, memory_bytes=512 << 20, pids=256)
CHECK_TIME_LIMIT_S = 5 * 60.0


def partition_of(label: str) -> str:
    """The partition ``slurm://PARTITION`` names; :class:`MachineError` when malformed."""
    name = label[len(SCHEME) :] if label.startswith(SCHEME) else ""
    if not PARTITION.match(name):
        raise MachineError(
            label,
            "not a Slurm machine: write slurm://PARTITION with the partition's name "
            "(letters, digits, '_', '-', '.')",
            "e.g. slurm://bench; `sinfo -o %P` lists the partitions",
        )
    return name


def staging_folder(environ: Mapping[str, str] | None = None) -> Path:
    """``$JITSKIT_SLURM_STAGING``, else the user config's ``[slurm] staging``, else
    ``~/.cache/jitskit/slurm``."""
    env = os.environ if environ is None else environ
    if env.get(STAGING_ENV):
        return Path(env[STAGING_ENV]).expanduser()
    try:
        configured = load_user_config().slurm.staging
    except ConfigError as exc:
        raise MachineError("slurm", str(exc), "fix the config file") from None
    if configured is not None:
        return configured.expanduser()
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "jitskit" / "slurm"


def open_machine(
    label: str, *, environ: Mapping[str, str] | None = None, on_queue: QueueObserver | None = None
) -> SlurmMachine:
    """The machine ``slurm://PARTITION`` names. Resolves names only; the cluster is
    contacted by :meth:`SlurmMachine.check` or the first :meth:`SlurmMachine.open`."""
    return SlurmMachine(partition_of(label), staging_folder(environ), on_queue=on_queue)


class SlurmMachine(BenchMachine):
    """A partition of a Slurm cluster; one exclusive allocation per evaluation."""

    def __init__(
        self, partition: str, staging: Path, *, on_queue: QueueObserver | None = None
    ) -> None:
        self.partition = partition
        self.label = f"{SCHEME}{partition}"
        self.staging = staging
        self.on_queue = on_queue
        """Told while an allocation waits in the queue (and ``None`` when it starts)."""
        self.report: NodeReport | None = None
        """What the connection check found on a node."""
        self.reaped: list[str] = []
        """Jobs and staging folders of crashed clients removed at connection."""
        self._nodes: list[NodeShape] | None = None
        self._lock = asyncio.Lock()

    @property
    def cache_key(self) -> str:
        """The partition and its nodes' hardware and compiler: baselines are kept per key."""
        facts = self.report.facts if self.report else {}
        parts = [facts.get(k, "") for k in ("cpu", "cpus", "memory_kib", "compiler")]
        return "|".join(["slurm", self.partition, *parts])

    @property
    def build_cache_key(self) -> str:
        facts = self.report.facts if self.report else {}
        return f"slurm|{self.partition}|{facts.get('compiler', '')}"

    # Connecting ----------------------------------------------------------------------

    async def _connect(self) -> list[NodeShape]:
        """Checks the client tools and the partition; reaps crashed clients' jobs. Once."""
        async with self._lock:
            if self._nodes is not None:
                return self._nodes
            missing = missing_tools()
            if missing:
                raise MachineError(
                    self.label,
                    f"Slurm's client commands are not on PATH (missing: {', '.join(missing)})",
                    NO_SLURM_HINT,
                )
            nodes = await partition_nodes(self.label, self.partition)
            if nodes is None:
                raise unknown_partition(self.label, self.partition, await partitions(self.label))
            if not nodes:
                raise MachineError(
                    self.label,
                    f"partition {self.partition} has no nodes",
                    "ask the cluster's administrators, or choose another partition",
                )
            try:
                await asyncio.to_thread(self.staging.mkdir, parents=True, exist_ok=True)
            except OSError as exc:
                raise MachineError(
                    self.label,
                    f"cannot make the staging folder {self.staging}: {exc.strerror}",
                    f"set {STAGING_ENV} (or [slurm] staging in ~/.config/jitskit/config.toml) "
                    "to a folder you can write that the nodes share",
                ) from None
            jobs = await reap_jobs(self.label)
            stages = await asyncio.to_thread(reap_stages, self.staging)
            self.reaped = [f"job {job.job_id} ({job.name})" for job in jobs] + stages
            self._nodes = nodes
            return nodes

    async def check(self) -> None:
        """Checks the tools, the partition, and a node's prerequisites (in a small job)."""
        await self._connect()
        if self.report is not None:
            return
        sandbox = await self._allocate(
            run_id="check",
            iteration=None,
            limits=CHECK_LIMITS,
            data_volume=False,
            exclusive=False,
            time_limit_s=CHECK_TIME_LIMIT_S,
        )
        async with sandbox:
            probe = sandbox.srun_argv(
                ["/bin/sh", "-c", probe_script(), "probe", str(sandbox.root)], cpus=1
            )
            reply = await slurm(self.label, *probe, timeout_s=300)
            report = NodeReport.parse(sandbox.node, reply.out, sandbox.root)
            error = report.error(self.label, self.partition)
            if error is not None:
                raise error
            await sandbox.start()
        self.report = report

    async def facts(self) -> MachineFacts:
        """The partition's largest node (what an exclusive allocation can get at most,
        less the runner's headroom), the hardware the connection check found on a node,
        and the staging folder's filesystem, where the data volumes are made."""
        nodes = await self._connect()
        largest = max(nodes, key=lambda n: (n.cpus, n.memory_mb))
        found = self.report.facts if self.report else {}
        medium, free = await asyncio.to_thread(host_facts.data_facts, self.staging)
        return MachineFacts(
            cpu_model=found.get("cpu") or "unknown",
            cpu_count=largest.cpus,
            memory_bytes=max(0, (largest.memory_mb << 20) - MEMORY_HEADROOM_BYTES),
            kernel=found.get("kernel") or "unknown",
            # `g++ (Debian 12.2.0-14) 12.2.0`: the version is the last word.
            compiler=f"gcc {found['compiler'].split()[-1]}" if found.get("compiler") else "unknown",
            host=self.label,
            cpu_ids=list(range(largest.cpus)),
            data_medium=medium,
            data_free_bytes=free,
        )

    # Evaluations ---------------------------------------------------------------------

    async def open(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        time_limit_s: float | None = None,
    ) -> SlurmSandbox:
        """Waits for an exclusive allocation with the card's CPUs and memory, for the
        evaluation's budget ``time_limit_s`` and some slack (:data:`DEFAULT_TIME_LIMIT_S`
        when it has none), and opens the sandbox in it."""
        limit = DEFAULT_TIME_LIMIT_S if time_limit_s is None else time_limit_s + ALLOCATION_SLACK_S
        sandbox = await self._allocate(
            run_id=run_id,
            iteration=iteration,
            limits=limits,
            data_volume=data_volume,
            exclusive=True,
            time_limit_s=limit,
        )
        try:
            await sandbox.start()
        except BaseException:
            await sandbox.close()
            raise
        return sandbox

    async def _allocate(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        exclusive: bool,
        time_limit_s: float,
    ) -> SlurmSandbox:
        nodes = await self._connect()
        cpus = max(1, math.ceil(limits.cpus))
        memory_mb = math.ceil((limits.memory_bytes + MEMORY_HEADROOM_BYTES) / (1 << 20))
        if not any(n.cpus >= cpus and n.memory_mb >= memory_mb for n in nodes):
            largest = max(nodes, key=lambda n: (n.cpus, n.memory_mb))
            raise MachineError(
                self.label,
                f"no node of partition {self.partition} has {cpus} CPUs and {memory_mb} MiB "
                f"(the card's limit and {MEMORY_HEADROOM_BYTES >> 20} MiB for the runner); "
                f"the largest, {largest.name}, has {largest.cpus} CPUs and {largest.memory_mb} MiB",
                "lower the card's environment.cpus or memory_limit, or choose a partition with "
                "larger nodes",
            )
        root = await asyncio.to_thread(make_stage, self.staging, run_id, iteration)
        request = HolderRequest(
            partition=self.partition,
            cpus=cpus,
            memory_mb=memory_mb,
            time_limit_s=time_limit_s,
            name=job_name(run_id, iteration),
            comment=job_comment(run_id, iteration, str(root)),
            chdir=str(root),
            exclusive=exclusive,
        )
        job_id: str | None = None
        try:
            job_id = await submit(self.label, request)
            info = await wait_running(self.label, self.partition, job_id, self.on_queue)
        except BaseException:
            # Cancelled while queued, refused, or failed to start: nothing may stay queued.
            if job_id is None:
                await asyncio.to_thread(shutil.rmtree, root, True)
            else:
                await asyncio.shield(release(self.label, job_id, root))
            raise
        return SlurmSandbox(
            self.label, root, job_id=job_id, node=info.nodes, limits=limits, data_volume=data_volume
        )


def make_stage(base: Path, run_id: str, iteration: int | None) -> Path:
    """A fresh folder for one evaluation under the staging folder, with its owner."""
    host, pid, start = client_identity()
    root = base / f"jitskit-{host}-{pid}-{secrets.token_hex(4)}"
    for sub in ("work", "data", "status"):
        (root / sub).mkdir(parents=True)
    owner = {"host": host, "pid": pid, "start": start, "run": run_id, "iteration": iteration}
    (root / "owner.json").write_text(json.dumps(owner))
    stage_runner(root)
    return root


def reap_stages(base: Path) -> list[str]:
    """Removes staging folders of clients on this host that are gone."""
    host, pid, _ = client_identity()
    reaped = []
    with contextlib.suppress(OSError):
        for d in base.glob("jitskit-*"):
            try:
                owner = json.loads((d / "owner.json").read_text())
            except (OSError, ValueError):
                continue
            mine = owner.get("host") == host and owner.get("pid") != pid
            if mine and pid_gone(int(owner.get("pid", 0)), str(owner.get("start", ""))):
                shutil.rmtree(d, ignore_errors=True)
                reaped.append(str(d))
    return reaped
