"""How far a measured figure can be trusted: its interval, its comparisons with other
stores, and the machine's conditions while it was measured.

A benchmark is a series of trials (fresh harness processes on the same trace); a figure is
the median of its trials with a 95% interval, and a comparison between two stores is the
median of their paired per-round ratios with its interval (docs/measurement.md). These
models are saved inside results and events; every field has a default so what was written
before them still loads.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["faster", "slower", "same"]
"""How one side compares with another: `faster` when the whole interval of their ratio is
above 1, `slower` when it is below 1, `same` when it contains 1."""

INTERVAL_METHOD = "t-log-bonferroni"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Interval(_Model):
    """A point estimate with its 95% interval, valid whichever look the trials stopped at."""

    point: float
    ci_low: float | None = None
    """`None` with fewer than two trials: no interval can be given (`insufficient`)."""
    ci_high: float | None = None
    n: int = 0
    """How many trials (a side's figure) or rounds (a ratio) it is over."""
    level: float = 0.95
    looks: int = 1
    """Looks in the schedule the level was corrected for (Bonferroni)."""
    method: str = INTERVAL_METHOD
    point_is: Literal["median", "centre"] = "median"
    """`centre` (the interval's geometric centre) when the median fell outside the
    interval, which a skewed handful of trials can cause."""

    @property
    def insufficient(self) -> bool:
        return self.ci_low is None or self.ci_high is None

    def contains(self, value: float) -> bool:
        if self.ci_low is None or self.ci_high is None:
            return True
        return self.ci_low <= value <= self.ci_high

    @property
    def half_width(self) -> float | None:
        """The interval's larger distance from the point, relative to the point."""
        if self.ci_low is None or self.ci_high is None or self.point <= 0:
            return None
        return max(self.ci_high / self.point - 1.0, 1.0 - self.ci_low / self.point)


class Comparison(_Model):
    """One side against another: the ratio ``side / other`` of their throughputs."""

    other: str
    """`incumbent`, `baseline:NAME`, or `A` in `jitskit compare` (then the ratio is B/A)."""
    ratio: Interval
    verdict: Verdict = "same"
    paired: bool = True
    """Measured in the same evaluation, round by round; `False` for a cached figure."""

    @property
    def ci_low(self) -> float | None:
        return self.ratio.ci_low

    @property
    def ci_high(self) -> float | None:
        return self.ratio.ci_high


class MachineConditions(_Model):
    """What else the benchmark machine was doing around the trials, and how it was set up."""

    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """The machine's load averages (1, 5, 15 minutes) just before the trials."""
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    other_cpu_before: float | None = None
    """CPUs' worth of time used by others in a quiet moment before the trials (0.5 = half a
    CPU), from the machine-wide counters; `None` where they cannot be read."""
    other_cpu_after: float | None = None
    busy_processes: list[str] = Field(default_factory=list)
    """Processes not ours using a CPU noticeably (`name (pid 123) 45% CPU`), where the
    machine's processes can be listed (this host)."""
    governor: str = "unknown"
    smt: str = "unknown"
    thp: str = "unknown"
    pinned_cpus: list[int] = Field(default_factory=list)
    """The CPUs the store's commands may run on (empty: unknown)."""
    cpu_count: int = 0
    busy: bool = False
    warning: str = ""
    """A sentence when the machine was busy: the figures may be noisier or lower."""
