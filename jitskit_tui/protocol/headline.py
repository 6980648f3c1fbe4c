"""The run's reported result: its best store measured at the `full` size on a held-out
trace, paired against the best comparable baseline (and every baseline whose cached figure
is within 2x of the best's), as written to `results/headline.json` and logged as the
`headline_measured` event."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jitskit_tui.protocol.measurement import Comparison, Interval

WITHIN_FACTOR = 2.0
"""A baseline whose cached figure is within this factor of the best's is paired in the
headline; the others are listed with their cached, unpaired figure."""


class Headline(BaseModel):
    """What one headline measurement found."""

    model_config = ConfigDict(extra="ignore")

    best_iteration: int
    best_sha: str = ""
    """The best iteration's commit, whose `store/` was measured."""
    size: Literal["quick", "full"] = "full"
    seed: int = 0
    """The held-out trace's seed: drawn at random for this measurement, never the card's."""
    verdict: Literal["pass", "fail"] = "pass"
    """`fail` when the best failed a gate at this size: then the figures do not count."""
    failed_gates: list[str] = Field(default_factory=list)
    throughput: Interval | None = None
    """The best's throughput over its trials, with its interval."""
    trials: int = 0
    """The best's trials (rounds of every side)."""
    against: str | None = None
    """The side the headline ratio is against (`baseline:tbb-chm`): the best comparable
    baseline, or the fastest of those paired in this window when it measured slower."""
    comparisons: list[Comparison] = Field(default_factory=list)
    """The best against each paired baseline (ratio best / baseline)."""
    peers: dict[str, Interval] = Field(default_factory=dict)
    """Each paired baseline's throughput over its trials in the same window, with its
    interval, by side (`baseline:tbb-chm`); empty in headlines measured before it."""
    unpaired: dict[str, float] = Field(default_factory=dict)
    """Baselines more than 2x away from the best: their cached figure (ops/s), unpaired."""
    conditions_warning: str = ""
    smaller_machine: str = ""
    machine: str = ""
    """Where it was measured: `local: AMD EPYC, 2 CPUs`."""
    note: str = ""
    """Why there is no ratio, when there is none (no comparable baseline passed)."""

    @property
    def headline_comparison(self) -> Comparison | None:
        """The comparison the headline ratio is, when there is one."""
        return next((c for c in self.comparisons if c.other == self.against), None)

    @property
    def against_throughput(self) -> Interval | None:
        """The throughput of the baseline the headline ratio is against, when known."""
        return self.peers.get(self.against) if self.against else None

    @property
    def counts(self) -> bool:
        return self.verdict == "pass"
