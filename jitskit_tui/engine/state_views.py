"""The parts of a run's folded state (:class:`~jitskit_tui.engine.state.RunState`): an
iteration, a piece of steering, a proposal, a move of the best, costs, a stint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from jitskit_tui.protocol.events import CostUpdate, Decision, Delivery, Role, RunStatus
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.texts import dollars_words


@dataclass
class IterationView:
    iteration: int
    parent_iteration: int
    step: int
    branch: str
    state: Literal["running", "done", "abandoned"] = "running"
    plan_title: str = ""
    summary: str = ""
    outcome: str = ""
    verdict: str = ""
    throughput_ops_s: float = 0.0
    ratio: float | None = None
    """As committed (the trailer): against the baseline known when it finished."""
    ratio_baseline: str | None = None
    ratio_baseline_ops_s: float | None = None
    """The baseline ``ratio`` is against (see :meth:`RunState.ratio_now`)."""
    failed_gates: list[str] = field(default_factory=list)
    claimed_ops_s: float | None = None
    """The naive experiment: what the agent's own benchmark told it."""
    commit: str = ""
    is_best: bool = False
    critique: str = ""
    started_ts: float = 0.0
    finished_ts: float = 0.0
    decision: Decision = ""
    """What its evaluation decided about the best (empty before decisions)."""
    incumbent_iteration: int | None = None
    vs_best: Comparison | None = None
    """Paired against the best it was measured with (``incumbent_iteration``)."""
    vs_baseline: Comparison | None = None
    """Against the best comparable baseline; ``ratio`` is its point."""


@dataclass
class SteeringView:
    id: str
    text: str
    delivery: Delivery
    source: str
    state: Literal["pending", "applied", "cancelled"] = "pending"
    applied_to: Role | None = None
    applied_iteration: int | None = None
    edits: int = 0
    """Times its text was replaced while it was pending."""


@dataclass(frozen=True)
class BestMove:
    """One move of the best, in the order the run made them."""

    iteration: int
    evidence: Comparison | None = None
    reason: str = ""


@dataclass(frozen=True)
class FallBack:
    """The best went back from ``from_iteration`` because an audit test failed it."""

    from_iteration: int
    to_iteration: int | None
    reason: str
    skipped: tuple[int, ...] = ()


@dataclass(frozen=True)
class ShownRatio:
    """An iteration's ratio as a client shows it: against the run's latest baseline."""

    value: float | None
    against: str | None
    """The baseline's name (``None``: the ratio is unknown)."""
    restated: bool = False
    """Its commit recorded a ratio against another baseline measurement (or none)."""
    comparison: Comparison | None = None
    """The paired comparison the value is the point of (``None``: unpaired or unknown)."""

    def as_comparison(self) -> Comparison | None:
        """The paired comparison, else the value as an unpaired one (a cached figure of
        the baseline, measured at another time); ``None`` when the ratio is unknown."""
        if self.comparison is not None:
            return self.comparison
        if self.value is None or not self.against:
            return None
        ratio = Interval(point=self.value)
        return Comparison(other=f"baseline:{self.against}", ratio=ratio, paired=False)


@dataclass
class ProposalView:
    id: str
    iteration: int | None
    title: str
    rationale: str
    diff: str
    decision: Literal["approved", "rejected"] | None = None


@dataclass
class CostTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    dollars: float = 0.0
    estimated: bool = False
    """Some of the dollars are an estimate (see `CostUpdate.estimated`)."""

    @property
    def tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_tokens
            + self.cache_write_tokens
        )

    @property
    def spent(self) -> bool:
        """Whether anything was spent (a scripted run's totals are all zeros)."""
        return bool(self.dollars or self.tokens)

    def add(self, update: CostUpdate) -> None:
        self.input_tokens += update.input_tokens
        self.output_tokens += update.output_tokens
        self.cache_read_tokens += update.cache_read_tokens
        self.cache_write_tokens += update.cache_write_tokens
        self.dollars += update.dollars
        self.estimated = self.estimated or update.estimated

    @property
    def dollars_words(self) -> str:
        """``$1.23``, or ``≈$1.23`` when it is an estimate."""
        return dollars_words(self.dollars, self.estimated)


@dataclass
class Stint:
    """One engine process's stretch of a run: from its `run_started` or `run_resumed` to
    its `run_finished`, or to the last event it logged before it crashed."""

    started_ts: float
    ended_ts: float | None = None
    status: RunStatus | Literal["crashed"] | None = None
    last_ts: float = 0.0
    """The last event's time (how long a stint that crashed lasted)."""

    @property
    def seconds(self) -> float:
        end = self.ended_ts if self.ended_ts is not None else self.last_ts
        return max(0.0, end - self.started_ts)
