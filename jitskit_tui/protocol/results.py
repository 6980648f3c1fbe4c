"""What an evaluation produces: gate verdicts and measured figures, as saved in JSON.

These models are the boundary between the harness (its JSON lines), the engine (which
commits them with every iteration) and the clients (CLI tables, TUI charts). Every
figure here was measured; the machine it was measured on travels with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jitskit_tui.spec.units import format_bytes

GateName = Literal[
    "build", "api", "concurrency", "durability", "memory", "integrity", "benchmark", "audit"
]
GATE_ORDER: tuple[GateName, ...] = (
    "build",
    "integrity",
    "api",
    "concurrency",
    "durability",
    "memory",
    "benchmark",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GateResult(_Model):
    """One correctness gate: passed or not, and why, in words a person can act on."""

    name: str
    passed: bool
    detail: str = ""
    severity: Literal["gate", "log"] = "gate"
    """`log` findings are reported but do not stop an iteration from counting."""
    seconds: float = 0.0


class OpStats(_Model):
    """Per-operation figures of one benchmark run."""

    count: int
    ops_s: float
    p50_us: float
    p90_us: float = 0.0
    p99_us: float
    p999_us: float
    max_us: float = 0.0
    timed: int = 0
    """How many of ``count`` were timed (the latency sample the percentiles come from)."""


class TimelinePoint(_Model):
    t_s: float
    ops_s: float


class MachineFacts(_Model):
    """The machine a number was measured on, as the harness saw it from inside."""

    cpu_model: str = "unknown"
    cpu_count: int = 0
    memory_bytes: int = 0
    kernel: str = "unknown"
    compiler: str = "unknown"
    host: str = "local"
    """The benchmark machine: `local`, or the Docker host's URL or context name."""
    limits: dict[str, object] = Field(default_factory=dict)
    """The limits that were applied (cpus, cpuset, memory, pids) and any warnings."""
    cpu_ids: list[int] = Field(default_factory=list)
    """The CPUs an evaluation may be pinned to (empty when the machine cannot tell)."""
    data_medium: Literal["disk", "tmpfs", "unknown"] = "unknown"
    """What backs the data volume: a disk survives power loss, a tmpfs does not."""
    data_free_bytes: int = 0
    """Free space where the data volume lives (0 when the machine cannot tell)."""

    def known(self) -> bool:
        """Whether the facts were read at all (results written before they were are not)."""
        return self.cpu_count > 0

    def describe(self) -> str:
        """``local: Intel Xeon, 2 CPUs, 24 GiB, kernel Linux 6.1 x86_64, gcc 12.2.0``."""
        memory = format_bytes(self.memory_bytes) if self.memory_bytes else "memory unknown"
        cpus = f"{self.cpu_count} CPUs" if self.cpu_count else "CPUs unknown"
        return (
            f"{self.host}: {self.cpu_model}, {cpus}, {memory}, kernel {self.kernel}, "
            f"{self.compiler}"
        )

    def key(self) -> str:
        """Identifies a machine for caching: results from different machines never mix."""
        return f"{self.host}|{self.cpu_model}|{self.cpu_count}|{self.memory_bytes}|{self.kernel}"


class BenchFigures(_Model):
    """The harness's `result` line for one benchmark run."""

    throughput_ops_s: float
    elapsed_s: float
    ops: dict[str, OpStats]
    memory_peak_bytes: int
    memory_budget_bytes: int
    errors: int = 0
    first_error: str = ""
    integrity_failures: int = 0
    first_integrity_failure: str = ""
    clock_tampering: str = ""
    """Set when the store's clock disagreed with a raw clock syscall."""
    machine: MachineFacts = Field(default_factory=MachineFacts)
    # Trial fields (docs/harness-protocol.md); the defaults read results written
    # before them. ``throughput_ops_s`` and ``ops`` cover the steady window.
    total_ops: int = 0
    """Operations over the whole timed run, warm-up included."""
    whole_run_ops_s: float = 0.0
    warmup_s: float = 0.0
    """Where the warm-up was cut, seconds into the run (``elapsed_s`` when the run
    ended before the cut)."""
    steady_elapsed_s: float = 0.0
    steady_ops: int = 0
    """0 when the run ended before the warm-up cut: the figures then cover it all."""
    cpu_ns_per_op: float | None = None
    """Process CPU time over the steady window divided by its operations."""
    driver_floor_ns_per_op: float | None = None
    """The driver's own CPU cost per operation per thread against a no-op store,
    measured in the same process before the load; ``None`` when not measured."""
    latency_sample_every: float | None = 1.0
    """Operations per timed one in the window the percentiles come from (results
    written before sampling timed every operation); ``None`` when none was timed."""


class EvalResult(_Model):
    """The whole evaluation of one store on one spec: the JSON `jitskit bench --json` writes."""

    name: str
    """`candidate`, or a baseline's name."""
    verdict: Literal["pass", "fail"]
    gates: list[GateResult]
    throughput_ops_s: float = 0.0
    """Measured even when a gate fails; then it does not count (`verdict` is `fail`)."""
    ops: dict[str, OpStats] = Field(default_factory=dict)
    memory_peak_bytes: int = 0
    memory_budget_bytes: int = 0
    timeline: list[TimelinePoint] = Field(default_factory=list)
    machine: MachineFacts = Field(default_factory=MachineFacts)
    spec_sha256: str
    size: Literal["quick", "full"] = "quick"
    warnings: list[str] = Field(default_factory=list)
    logs: dict[str, str] = Field(default_factory=dict)
    """Build, gate and benchmark output (tails), by step name."""
    smaller_machine: str = ""
    """Empty, or the sentence ``measured on a smaller machine than the card: ...`` when
    the evaluation ran on a machine short of what the card asks (allowed by the user)."""

    @property
    def failed_gates(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed and g.severity == "gate"]

    @property
    def counts(self) -> bool:
        return self.verdict == "pass"


class BaselineReport(_Model):
    """`jitskit baselines --json`: every baseline's result and the best comparable one."""

    results: list[EvalResult]
    skipped: dict[str, str] = Field(default_factory=dict)
    """Baselines not comparable for the spec, with why."""
    best_comparable: str | None = None
    best_comparable_ops_s: float = 0.0


@dataclass(frozen=True)
class BenchTick:
    """One progress tick of a running benchmark."""

    t_s: float
    ops: int
    ops_s: float
    per_op: dict[str, int]
    cpu_s: float = 0.0
    """The harness process's CPU seconds so far (0 from harnesses before it)."""
    warm: bool = False
    """True up to and including the tick that makes the warm-up cut."""


@dataclass(frozen=True)
class ProgressTick:
    """How far a phase other than the benchmark's run got (`progress` events): printed
    every ``tick_ms`` whether or not the store completed anything, so a count that
    stands still tells a stuck store from a slow one."""

    phase: str
    """`open`, `load`, `verify`, `close`, `gate-api`, `gate-concurrency`, ..."""
    done: int
    total: int
    """0 when the phase's amount of work is not known in advance."""
    t_s: float
    """Seconds since the phase began."""
