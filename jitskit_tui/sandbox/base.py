"""Benchmark machines: the place where an evaluation's build, gates and benchmark run.

The candidate store is untrusted code. Every command that compiles or runs it goes
through an :class:`EvalSandbox`, opened from a :class:`BenchMachine`: a bubblewrap
jail in a scratch directory on this host (``local``), one container on a Docker host,
or the same bubblewrap jail on a node of a Slurm allocation (``slurm://PARTITION``).
All expose the same file layout to the commands they run, the one
:mod:`jitskit_tui.protocol.sandbox_layout` names.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access


class MachineError(Exception):
    """The benchmark machine cannot evaluate: unreachable, misconfigured, missing a tool.

    ``hint`` says what the user should do next (what to install, which command to run).
    """

    def __init__(self, machine: str, message: str, hint: str = "") -> None:
        self.machine = machine
        self.message = message
        self.hint = hint
        super().__init__(f"{machine}: {message}" + (f" ({hint})" if hint else ""))


class MachineTooSmall(MachineError):
    """The machine has less than the card asks for (CPUs, memory, a disk for the data):
    a refusal before anything is built, not a verdict on the store. The hint names
    ``--allow-smaller-machine``, which runs it anyway with every figure marked."""


@dataclass(frozen=True)
class Limits:
    """Resource limits an evaluation runs under, taken from the spec's environment."""

    cpus: float
    memory_bytes: int
    cpuset: tuple[int, ...] | None = None
    pids: int = 1024


@dataclass(frozen=True)
class RunResult:
    """How one command inside a sandbox ended."""

    exit_code: int | None
    """The process's exit status; ``None`` when it was ended by a signal."""
    signal: int | None
    """The signal that ended it, if any (SIGKILL after a timeout or an OOM kill)."""
    timed_out: bool
    oom_killed: bool
    stdout: str
    """Standard output, the last 1 MiB of it."""
    stderr: str
    """Standard error, the last 1 MiB of it."""
    wall_s: float
    peak_memory_bytes: int | None = None
    """The sandbox's peak memory during this command that is not file cache (anonymous
    memory, shmem and tmpfs files of every process it started), sampled from cgroup
    accounting; ``None`` where the machine cannot tell."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.oom_killed


@dataclass(frozen=True)
class LimitsApplied:
    """What a machine actually enforced, recorded with every result."""

    cpus: float
    cpuset: tuple[int, ...] | None
    memory_bytes: int | None
    """``None`` when the machine could not enforce a memory limit."""
    pids: int | None
    network: bool
    warnings: tuple[str, ...] = field(default=())


StdoutLine = Callable[[str], None]


class EvalSandbox(abc.ABC):
    """One evaluation's isolated place. Closing it removes everything it made."""

    limits_applied: LimitsApplied

    @abc.abstractmethod
    async def upload(self, src_dir: Path, dest: str) -> None:
        """Copies the contents of the host directory ``src_dir`` to ``dest`` inside."""

    @abc.abstractmethod
    async def download(self, src: str, dest_dir: Path) -> None:
        """Copies the file or directory ``src`` inside into the host directory ``dest_dir``."""

    @abc.abstractmethod
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
        """Runs a command with no network under the sandbox's limits.

        ``access`` says what it may write (:meth:`SandboxLayout.writable`): a ``store``
        command, the default, only the data volume and its private ``/tmp``; a ``build``
        command (a trusted tool) the working folder too.
        Lines of standard output are passed to ``on_stdout_line`` as they arrive.
        On timeout or cancellation, every process the command started is killed
        before this returns (or before the cancellation propagates).
        """

    @abc.abstractmethod
    async def close(self) -> None:
        """Kills anything still running and removes all files, mounts and containers.

        Idempotent; safe to call from a ``finally`` during cancellation.
        """

    async def __aenter__(self) -> EvalSandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


@dataclass(frozen=True)
class QueueState:
    """An evaluation waiting for its machine: an allocation in a Slurm queue, or a turn at
    a machine other runs of a sweep are evaluating on. What the app shows while it waits."""

    where: str
    """The partition, or the machine's label."""
    ahead: int | None
    """Waiting jobs the scheduler considers before this one; ``None`` when unknown."""
    reason: str
    """Why it waits: Slurm's reason (``Resources``, ``Priority``), or words."""
    job_id: str = ""

    def waiting_words(self) -> str:
        """``on bench, 3 jobs ahead (waiting for a free node)``."""
        why = {"Resources": "waiting for a free node", "Priority": "behind higher priority"}
        extra = why.get(self.reason, self.reason if self.reason not in ("", "None") else "")
        ahead = ""
        if self.ahead == 0:
            ahead = ", next in line"
        elif self.ahead is not None:
            ahead = f", {self.ahead} {'job' if self.ahead == 1 else 'jobs'} ahead"
        return f"on {self.where}{ahead}" + (f" ({extra})" if extra else "")

    def describe(self) -> str:
        """``queued on bench, 3 jobs ahead (waiting for a free node)``."""
        return f"queued {self.waiting_words()}"


QUEUE_NOTICE_S = 1.0
"""A wait for the machine shorter than this is not worth a word: machines tell their
observer only once a wait has lasted this long."""

QueueObserver = Callable[[QueueState | None], None]
"""Told the queue state while an evaluation waits for its machine (each time it changes),
and ``None`` once the evaluation has its machine."""


class BenchMachine(abc.ABC):
    """A place evaluations run: this host, a Docker host, or a Slurm partition."""

    label: str
    """How the user named it: ``local``, ``tcp://host:port``, ``ssh://user@host``, a context."""
    on_queue: QueueObserver | None = None
    """Told while an evaluation waits for the machine (a Slurm queue, a sweep's turn);
    the engine sets it to report the wait as events."""

    @property
    def cache_key(self) -> str:
        """Identifies the machine and toolchain: baseline results are kept per key."""
        return self.label

    @property
    def build_cache_key(self) -> str:
        """Identifies the toolchain alone: compiled harness objects are kept per key."""
        return self.cache_key

    @property
    def this_host(self) -> bool:
        """Whether evaluations run on this host (its processes and settings can be read
        directly)."""
        return False

    async def aclose(self) -> None:  # noqa: B027 - most machines hold no connection
        """Releases connections to the machine; sandboxes are closed before this."""

    @abc.abstractmethod
    async def check(self) -> None:
        """Raises :class:`MachineError` saying what is missing when it cannot evaluate."""

    @abc.abstractmethod
    async def facts(self) -> MachineFacts:
        """What the machine an evaluation's sandbox gets is: CPU model, the CPUs it may
        use, memory, kernel, compiler, and what backs the data volume with its free
        space. Read before anything is built, so every result names its machine and a
        card larger than the machine is refused (:class:`MachineTooSmall`); raises
        :class:`MachineError` when the machine cannot be reached."""

    @abc.abstractmethod
    async def open(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        time_limit_s: float | None = None,
    ) -> EvalSandbox:
        """Opens a fresh sandbox for one evaluation. ``time_limit_s`` bounds the whole
        evaluation where the machine enforces one (a Slurm allocation's time limit);
        ``None``: the machine's default."""
