"""The spec card: what store to build (requirement), where it runs (environment), what it
serves (workload), and how the refinement loop is run (loop).

Every model forbids unknown keys so a typo is an error, not a silently ignored setting.
Checks that span sections live in :mod:`jitskit_tui.spec.checks`, where each error can
name the exact key it is about.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jitskit_tui.machine_kinds import address_forms, card_allows
from jitskit_tui.spec.presets import PRESETS, YCSB_ZIPFIAN_CONSTANT, OpKind, PresetName
from jitskit_tui.spec.units import ByteSize, Count, Duration, Rate, Share

# The harness stores an integrity code, the key and a version in every value it writes,
# besides the 8-byte counter that read-modify-write increments.
MIN_VALUE_SIZE = 32
MAX_VALUE_SIZE = 1 << 20

Operation = Literal["read", "upsert", "delete", "read_modify_write", "scan"]
DurabilityLevel = Literal["none", "process_crash", "power_loss"]
DURABILITY_ORDER: dict[DurabilityLevel, int] = {"none": 0, "process_crash": 1, "power_loss": 2}

# Which store operation each workload operation exercises.
OPERATION_FOR: dict[OpKind, Operation] = {
    "read": "read",
    "update": "upsert",
    "insert": "upsert",
    "scan": "scan",
    "read_modify_write": "read_modify_write",
    "delete": "delete",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requirement(_Strict):
    """What the store must do and guarantee."""

    operations: list[Operation] = Field(min_length=1)
    """Operations the store must support; `read` and `upsert` are always needed."""
    durability: DurabilityLevel
    """`none`; `process_crash`: acknowledged writes survive kill -9; `power_loss`: they were
    synced to stable storage before the acknowledgement."""
    consistency: Literal["per_key_linearizable"] = "per_key_linearizable"
    """Reads see the latest acknowledged write of their key and are never torn."""
    notes: str = ""
    """Anything else the agent must respect, in the builder's words."""

    @field_validator("operations")
    @classmethod
    def _operations(cls, ops: list[Operation]) -> list[Operation]:
        duplicates = sorted({op for op in ops if ops.count(op) > 1})
        if duplicates:
            raise ValueError(f"listed more than once: {', '.join(duplicates)}")
        missing = [op for op in ("read", "upsert") if op not in ops]
        if missing:
            raise ValueError(
                f"every store must support read and upsert; add {' and '.join(missing)}"
            )
        return ops


_CPU_LIST = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")


def parse_cpuset(text: str) -> tuple[int, ...]:
    """``"0-3,6"`` -> ``(0, 1, 2, 3, 6)``, as the kernel's cpuset syntax."""
    if not _CPU_LIST.match(text):
        raise ValueError(f"expected a CPU list such as '0-3' or '0,2', got {text!r}")
    cpus: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if last < first:
            raise ValueError(f"CPU range {part!r} runs backwards")
        if last - first > 4096:
            raise ValueError(f"CPU range {part!r} is implausibly large")
        cpus.update(range(first, last + 1))
    return tuple(sorted(cpus))


class DataDir(_Strict):
    """Where a durable store keeps its files."""

    medium: Literal["disk", "tmpfs"] = "disk"
    """`disk` survives power loss; `tmpfs` only a process crash."""
    size: ByteSize
    """Space the store may use."""


# Flags that would let a candidate change how the harness is built, linked or measured.
_FORBIDDEN_FLAG = re.compile(
    r"^(-o|-I|-L|-l|-B|-include|-imacros|-iquote|-isystem|-idirafter|-specs|-wrapper|"
    r"-fplugin|-fuse-ld|-Wl|-Wa|-Wp|-X|--wrap|--sysroot|-save-temps|-nostdlib|-nostartfiles|"
    r"-nodefaultlibs|-static|-shared|-D|-U|@)"
)


class Compiler(_Strict):
    """How the candidate store is compiled. The harness's own flags are fixed."""

    cxx: Literal["g++", "clang++"] = "g++"
    flags: list[str] = Field(default_factory=lambda: ["-O2"])
    """Flags every candidate is compiled with."""
    allowed_extra_flags: list[str] = Field(default_factory=list)
    """Flags the agent may add in `store/BUILD_FLAGS`, one per line."""

    @field_validator("flags", "allowed_extra_flags")
    @classmethod
    def _flags(cls, flags: list[str]) -> list[str]:
        for flag in flags:
            if not flag.startswith("-") or any(c.isspace() for c in flag):
                raise ValueError(f"{flag!r} is not a single compiler flag")
            if _FORBIDDEN_FLAG.match(flag):
                raise ValueError(
                    f"{flag!r} would change how the harness is built or linked; "
                    "use `libraries` for libraries, and leave paths to the harness"
                )
        return flags


class Environment(_Strict):
    """The machine the store is built for and benchmarked on."""

    cpus: int = Field(ge=1, le=1024)
    """CPUs the benchmark may use."""
    cpuset: str | None = None
    """Which CPUs, in cpuset syntax (`0-3`); when absent, a CPU quota of `cpus`."""
    memory_limit: ByteSize
    """Hard memory limit of the whole benchmark process (harness, traces and store)."""
    store_memory_budget: ByteSize
    """The store's own peak memory, measured by the harness."""
    data_dir: DataDir | None = None
    """Needed when durability is not `none`."""
    machine: str = "local"
    """`local`, a Docker host URL (`tcp://`, `ssh://`, `unix://`), a docker context name or
    `slurm://PARTITION`: any address a kind in :mod:`jitskit_tui.machine_kinds` takes."""
    compiler: Compiler = Field(default_factory=Compiler)
    libraries: list[str] = Field(default_factory=list)
    """Libraries the store may link, by name as for `-l` (e.g. `numa`)."""

    @field_validator("cpuset")
    @classmethod
    def _cpuset(cls, value: str | None) -> str | None:
        if value is not None:
            parse_cpuset(value)
        return value

    @field_validator("machine")
    @classmethod
    def _machine(cls, value: str) -> str:
        if not card_allows(value):
            raise ValueError(f"{value!r} is not a machine: use {address_forms()}")
        return value

    @field_validator("libraries")
    @classmethod
    def _libraries(cls, libs: list[str]) -> list[str]:
        for lib in libs:
            if not re.match(r"^[A-Za-z0-9_+.-]+$", lib):
                raise ValueError(f"{lib!r} is not a library name (as for -l, e.g. 'numa')")
        return libs

    @property
    def cpu_list(self) -> tuple[int, ...] | None:
        return parse_cpuset(self.cpuset) if self.cpuset is not None else None


class Uniform(_Strict):
    kind: Literal["uniform"]


class Zipfian(_Strict):
    kind: Literal["zipfian"]
    constant: float = Field(default=YCSB_ZIPFIAN_CONSTANT, gt=0.0, lt=1.0)
    """YCSB's zipfian constant (theta); higher is more skewed. Item ranks are always
    scrambled (hashed), as in YCSB, so hot keys cannot be guessed from key values."""


class Latest(_Strict):
    kind: Literal["latest"]
    constant: float = Field(default=YCSB_ZIPFIAN_CONSTANT, gt=0.0, lt=1.0)


class Hotspot(_Strict):
    kind: Literal["hotspot"]
    data_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    """Share of the keys that are hot."""
    op_fraction: float = Field(default=0.8, gt=0.0, lt=1.0)
    """Share of the operations that go to hot keys."""


def _distribution_shorthand(value: object) -> object:
    # `distribution: uniform` is shorthand for `distribution: {kind: uniform}`.
    return {"kind": value} if isinstance(value, str) else value


Distribution = Annotated[
    Uniform | Zipfian | Latest | Hotspot,
    Field(discriminator="kind"),
]


class ScanLength(_Strict):
    distribution: Literal["uniform", "zipfian", "constant"] = "uniform"
    min: int = Field(default=1, ge=1)
    max: int = Field(default=100, ge=1, le=100_000)

    @model_validator(mode="after")
    def _order(self) -> ScanLength:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class Mix(_Strict):
    """A custom operation mix; fractions sum to 1."""

    read: float = Field(default=0.0, ge=0.0, le=1.0)
    update: float = Field(default=0.0, ge=0.0, le=1.0)
    insert: float = Field(default=0.0, ge=0.0, le=1.0)
    scan: float = Field(default=0.0, ge=0.0, le=1.0)
    read_modify_write: float = Field(default=0.0, ge=0.0, le=1.0)
    delete: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sums_to_one(self) -> Mix:
        total = sum(self.as_dict().values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the mix sums to {total:g}; the fractions must sum to 1")
        return self

    def as_dict(self) -> dict[OpKind, float]:
        return {
            "read": self.read,
            "update": self.update,
            "insert": self.insert,
            "scan": self.scan,
            "read_modify_write": self.read_modify_write,
            "delete": self.delete,
        }


class Workload(_Strict):
    """The YCSB-style workload the store is judged on."""

    preset: PresetName | None = None
    """A YCSB core workload, A to F, with YCSB's mix and distribution."""
    mix: Mix | None = None
    """A custom mix instead of a preset."""
    record_count: Count = Field(ge=1)
    operation_count: Count | None = Field(default=None, ge=1)
    duration: Duration | None = None
    """Run-phase bound in time, when `operation_count` is absent (or a cap on it)."""
    value_size: int
    """Bytes per value; at least 32, which the harness's integrity checks need."""
    threads: int = Field(ge=1, le=1024)
    distribution: Distribution | None = None
    """Overrides the preset's; required with a custom mix."""
    scan_length: ScanLength = Field(default_factory=ScanLength)
    seed: int = Field(default=42, ge=0, lt=2**64)

    @field_validator("value_size")
    @classmethod
    def _value_size(cls, size: int) -> int:
        if size < MIN_VALUE_SIZE:
            raise ValueError(
                f"{size} bytes is too small: values must be at least {MIN_VALUE_SIZE} bytes, "
                "room for the counter, key, version and integrity code the harness checks"
            )
        if size > MAX_VALUE_SIZE:
            raise ValueError(f"{size} bytes is over the 1 MiB maximum value size")
        return size

    @field_validator("distribution", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return _distribution_shorthand(value)

    def effective_mix(self) -> dict[OpKind, float]:
        if self.mix is not None:
            return {op: f for op, f in self.mix.as_dict().items() if f > 0}
        assert self.preset is not None, "checked when the card is loaded"
        return dict(PRESETS[self.preset].mix)

    def effective_distribution(self) -> Uniform | Zipfian | Latest | Hotspot:
        if self.distribution is not None:
            return self.distribution
        if self.preset is not None and PRESETS[self.preset].distribution == "latest":
            return Latest(kind="latest")
        return Zipfian(kind="zipfian")

    def describe(self) -> str:
        """``YCSB-A (read 50%, update 50%), zipfian 0.99``."""
        mix = ", ".join(f"{op.replace('_', '-')} {f:.0%}" for op, f in self.effective_mix().items())
        name = f"YCSB-{self.preset}" if self.preset and self.mix is None else "custom"
        dist = self.effective_distribution()
        match dist:
            case Zipfian() | Latest():
                dist_text = f"{dist.kind} {dist.constant:g}"
            case Hotspot():
                dist_text = f"hotspot {dist.op_fraction:.0%} of ops on {dist.data_fraction:.0%}"
            case Uniform():
                dist_text = "uniform"
        return f"{name} ({mix}), {dist_text}"


class Models(_Strict):
    """The model each agent role calls."""

    planner: str = "claude-opus-5-5"
    coder: str = "claude-sonnet-5-5"
    critic: str = "claude-sonnet-5-5"
    auditor: str = "claude-opus-5-5"


class Budget(_Strict):
    """Caps that stop the loop cleanly when reached; absent means no cap."""

    tokens: Count | None = None
    dollars: float | None = Field(default=None, gt=0)
    wall_time: Duration | None = None


TRIAL_SECONDS = {"quick": 2.5, "full": 8.0}
"""One trial's timed length, warm-up included, when the card gives no `duration`."""
TRIAL_SECONDS_RANGE = (1.0, 60.0)


class EvalSize(_Strict):
    """How big one evaluation is; absent fields keep the workload's own (the duration the
    default trial length)."""

    record_count: Count | None = Field(default=None, ge=1)
    operation_count: Count | None = Field(default=None, ge=1)
    """How many operations the trace holds; a trial cycles through it."""
    duration: Duration | None = None
    """One trial's timed length, warm-up included (1s to 60s; quick 2.5s, full 8s)."""

    @field_validator("duration")
    @classmethod
    def _trial_length(cls, seconds: float | None) -> float | None:
        low, high = TRIAL_SECONDS_RANGE
        if seconds is not None and not low <= seconds <= high:
            raise ValueError(
                f"a trial lasts {low:g}s to {high:g}s (the duration is one trial's length, "
                f"repeated over several trials), not {seconds:g}s"
            )
        return seconds


class Trials(_Strict):
    """How many trials a benchmark runs (docs/measurement.md)."""

    min: int = Field(default=5, ge=2, le=100)
    """Rounds before the first look; an interval needs at least two."""
    max: int = Field(default=12, ge=2, le=100)
    """Rounds at most."""
    target: Share = 0.05
    """Stop once every comparison's interval is within this of its point (±5%)."""
    max_seconds: Duration = 45.0
    """Wall time cap of the trials of one quick evaluation (a full one gets four times
    this); a round is never cut in half."""

    @model_validator(mode="after")
    def _order(self) -> Trials:
        if self.max < self.min:
            raise ValueError(
                f"max ({self.max}) is below min ({self.min}); pin both to run exactly "
                "that many rounds"
            )
        return self


AgentName = Literal["scripted", "anthropic", "claude-code"]
"""The agent backends a card may name (those of :mod:`jitskit_tui.agents.registry`; a test
keeps the two lists equal)."""


class Loop(_Strict):
    """How the refinement loop runs."""

    agent: AgentName | None = None
    """Who plays the roles when `--agent` is not given; absent: `anthropic` when an API key
    is configured, else the offline `scripted` agent."""
    iterations: int = Field(default=10, ge=1, le=10_000)
    audit_every: int = Field(default=3, ge=1)
    """Run the auditor after every N iterations, and after the last iteration of the run's
    budget (so a run that uses its budget never ends with an unaudited best)."""
    models: Models = Field(default_factory=Models)
    budget: Budget = Field(default_factory=Budget)
    quick: EvalSize = Field(default_factory=EvalSize)
    """In-loop evaluations; keep them short."""
    full: EvalSize = Field(default_factory=EvalSize)
    """The final measurement; defaults to the workload's sizes."""
    trials: Trials = Field(default_factory=Trials)
    min_effect: Share = 0.02
    """The best moves only on a win whose interval's low end clears 1 + this."""
    floor_rate: Rate = 1000.0
    """Operations per second every phase of an evaluation may assume the store manages at
    least (records loaded, operations run, keys verified): each phase's time budget is a
    fixed allowance plus its work at this rate (docs/evaluation.md). A store slower than
    this gets a `slow` verdict naming the phase instead of hanging the loop."""


class SpecCard(_Strict):
    """A spec card: one store to synthesize, for one workload, machine and guarantee."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    """Names the card's runs (`workspaces/<name>-<timestamp>`)."""
    description: str = ""
    requirement: Requirement
    environment: Environment
    workload: Workload
    loop: Loop = Field(default_factory=Loop)

    def summary(self) -> str:
        """One line a person can read: workload, durability, threads, machine."""
        env, wl = self.environment, self.workload
        cpus = f"CPUs {env.cpuset}" if env.cpuset else f"{env.cpus} CPUs"
        return (
            f"{wl.describe()}; durability {self.requirement.durability}; "
            f"{wl.threads} threads on {cpus}; machine {env.machine}"
        )
