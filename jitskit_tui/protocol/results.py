"""What an evaluation produces: gate verdicts and measured figures, as saved in JSON.

These models are the boundary between the harness (its JSON lines), the engine (which
commits them with every iteration) and the clients (CLI tables, TUI charts). Every
figure here was measured; the machine it was measured on travels with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jitskit_tui.protocol.measurement import Comparison, Interval, MachineConditions
from jitskit_tui.spec.units import format_amount, format_bytes, format_rate, format_span

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


class PhaseBudget(_Model):
    """One phase's time budget and how it was reckoned: ``allowance_s + work / rate``."""

    phase: str
    """`build`, `integrity`, `api`, `concurrency`, `durability`, `load`, `run`, `verify`,
    `canary`, `setup`."""
    seconds: float
    allowance_s: float
    """The fixed part: process start, trace generation, Open, compiling the harness."""
    work: int = 0
    """What the phase does, counted in ``unit`` (records to load, keys to verify)."""
    unit: str = ""
    rate: float = 0.0
    """The rate the work is reckoned at: the card's floor (or the raised one), per
    second; for the build, bytes of sources per second."""

    def formula(self) -> str:
        """``20 s + 1M records at the 1k/s floor``, or ``30 s`` when there is no work."""
        if not self.work or not self.rate:
            return format_span(self.allowance_s)
        if self.unit == "bytes of sources":
            return (
                f"{format_span(self.allowance_s)} + {format_bytes(self.work)} of sources at "
                f"{format_bytes(int(self.rate))}/s"
            )
        return (
            f"{format_span(self.allowance_s)} + {format_amount(self.work)} {self.unit} at the "
            f"{format_rate(self.rate)} floor"
        )


class EvalBudget(_Model):
    """Every phase's budget and the bound of the whole evaluation, announced at its start."""

    phases: list[PhaseBudget] = Field(default_factory=list)
    overall_s: float = 0.0
    floor_rate: float = 0.0
    """The card's `loop.floor_rate`."""
    rate: float = 0.0
    """The floor the work was reckoned at: the card's, or higher when capped."""
    cap_s: float = 0.0
    note: str = ""
    """Why the floor was raised, when the formula gave more than the cap."""

    def of(self, phase: str) -> PhaseBudget | None:
        return next((p for p in self.phases if p.phase == phase), None)

    def seconds(self, phase: str, default: float = 0.0) -> float:
        found = self.of(phase)
        return found.seconds if found else default

    def line(self) -> str:
        """``build 41 s · api 1.6 min · ... · at most 9.5 min (floor 1k/s)``."""
        parts = [f"{p.phase} {format_span(p.seconds)}" for p in self.phases]
        floor = f"floor {format_rate(self.rate)}" + (
            f", raised from {format_rate(self.floor_rate)}" if self.rate > self.floor_rate else ""
        )
        return " · ".join(parts) + f" · at most {format_span(self.overall_s)} ({floor})"


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
    # Trials (docs/measurement.md); the defaults read results written before them.
    trials: list[TrialFigures] = Field(default_factory=list)
    """The candidate's trials, in round order; `throughput_ops_s` is their median."""
    throughput: Interval | None = None
    """The candidate's throughput over its trials, with its interval."""
    peers: dict[str, PeerOutcome] = Field(default_factory=dict)
    """The sides measured beside it in the same evaluation, by name."""
    comparisons: list[Comparison] = Field(default_factory=list)
    """The candidate against each peer: paired ratios over the rounds."""
    conditions: MachineConditions | None = None
    floor_ns_per_op: float | None = None
    """The driver's own cost per operation per thread (median over the trials): a store
    whose `cpu_ns_per_op` is near it is measured mostly on the driver."""
    smaller_machine: str = ""
    """Empty, or the sentence ``measured on a smaller machine than the card: ...`` when
    the evaluation ran on a machine short of what the card asks (allowed by the user)."""
    budget: EvalBudget | None = None
    """The phases' time budgets and the overall bound the evaluation ran under."""

    @property
    def failed_gates(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed and g.severity == "gate"]

    @property
    def counts(self) -> bool:
        return self.verdict == "pass"


class TrialFigures(_Model):
    """One trial of one side: a fresh harness process, its warm-up cut."""

    side: str = "candidate"
    """`candidate`, `incumbent`, `baseline:NAME`, or `A`/`B` in `jitskit compare`."""
    index: int
    """Its round, from 0; the sides of one round ran back to back in a random order."""
    throughput_ops_s: float
    """Operations per second over the steady window (after the warm-up cut)."""
    whole_run_ops_s: float = 0.0
    """Over the whole timed run, warm-up included."""
    cpu_ns_per_op: float | None = None
    """Process CPU time per operation over the steady window: steadier than throughput."""
    ops: dict[str, OpStats] = Field(default_factory=dict)
    steady_elapsed_s: float = 0.0
    warmup_s: float = 0.0
    """Where the warm-up was cut, seconds into the run."""
    memory_peak_bytes: int = 0
    floor_ns_per_op: float | None = None
    """The driver's own cost per operation per thread, measured in this trial's process."""
    unsteady: bool = False
    """The steady window's first and second halves differed by more than 10%: still
    counted, but shown."""


class PeerOutcome(_Model):
    """A side measured beside the candidate in the same evaluation."""

    name: str
    verdict: Literal["pass", "fail"] = "pass"
    """`fail` when one of its gates failed (gated peers, and the benchmark gate of every
    peer's trials): then its figures do not count and no comparison is made with it."""
    gates: list[GateResult] = Field(default_factory=list)
    trials: list[TrialFigures] = Field(default_factory=list)
    throughput: Interval | None = None
    throughput_ops_s: float = 0.0
    """The median of its trials' steady throughputs."""

    @property
    def failed_gates(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed and g.severity == "gate"]


class BaselineReport(_Model):
    """`jitskit baselines --json`: every baseline's result and the best comparable one."""

    results: list[EvalResult]
    skipped: dict[str, str] = Field(default_factory=dict)
    """Baselines not comparable for the spec, with why."""
    best_comparable: str | None = None
    best_comparable_ops_s: float = 0.0
    """The best comparable baseline's median throughput over its trials."""
    cached: list[str] = Field(default_factory=list)
    """Baselines whose figures came from the cache: measured alone, at another time, so
    a ratio to them is unpaired (the loop pairs against them in each evaluation)."""


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
    side: str = "candidate"
    """Whose trial it is: `candidate`, or a peer's name."""
    trial: int | None = None
    """The trial's round, from 0; ``None`` outside trials."""


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


@dataclass(frozen=True)
class PhaseProgress:
    """How far a phase of the evaluation got, against its budget (`eval_progress`)."""

    phase: str
    """The budget's phase: `load`, `api`, `verify`, ..."""
    done: int
    total: int
    """0 when the phase's amount of work is not known in advance."""
    unit: str
    """What ``done`` counts: `records`, `store calls`, `keys`, `operations`."""
    rate: float
    """``done`` per second since the phase began."""
    elapsed_s: float
    budget_s: float

    def text(self) -> str:
        """``load 212k/1M records · 1.8k/s · budget 2 min``."""
        if self.unit in ("Open", "Close"):
            return f"{self.phase}: waiting for {self.unit} · budget {format_span(self.budget_s)}"
        amount = format_amount(self.done) + (f"/{format_amount(self.total)}" if self.total else "")
        return (
            f"{self.phase} {amount} {self.unit} · {format_rate(self.rate)} · "
            f"budget {format_span(self.budget_s)}"
        )
