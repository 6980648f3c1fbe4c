"""What is kept of each iteration: the record committed beside it as
`results/iteration-N.json`.

Committing the record (rather than keeping it only in the ignored `.jitskit/`) makes
every iteration self-contained: a clone, a fork or `git show <sha>:results/...` carries
the full result its trailers summarise, logs included.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jitskit_tui.protocol.events import Decision, IterationOutcome
from jitskit_tui.protocol.measurement import Comparison
from jitskit_tui.protocol.results import EvalResult


class IterationRecord(BaseModel):
    """One iteration: what was tried, how it was judged, and what it measured."""

    model_config = ConfigDict(extra="ignore")

    iteration: int
    parent_iteration: int
    step: int
    branch: str
    summary: str
    """One line: the coder's summary, else the plan's title."""
    plan_title: str = ""
    outcome: IterationOutcome
    verdict: Literal["pass", "fail"]
    throughput_ops_s: float = 0.0
    ratio: float | None = None
    """``vs_baseline``'s point: over the best comparable baseline."""
    baseline: str | None = None
    baseline_ops_s: float | None = None
    """The baseline's figure: measured beside it when paired, else the run's cached one."""
    decision: Decision = ""
    """What its evaluation decided about the best (empty in records before decisions)."""
    incumbent_iteration: int | None = None
    """The best it was measured against, when there was one."""
    vs_best: Comparison | None = None
    """Paired against the incumbent best in its evaluation."""
    vs_baseline: Comparison | None = None
    """Against the best comparable baseline: paired in its evaluation (the per-trial
    figures of both sides are in ``result``), or unpaired against the cached figure."""
    failed_gates: list[str] = Field(default_factory=list)
    claimed_ops_s: float | None = None
    """The naive experiment: the throughput the agent's benchmark tool told it."""
    error: str = ""
    """The agent's error, when the outcome is `agent-error`."""
    result: EvalResult | None = None
    """The evaluation, audit tests included among its gates; ``None`` when none ran."""
    agent: str = ""
    started: float = 0.0
    finished: float = 0.0

    @property
    def counts(self) -> bool:
        """Whether it may become the best: evaluated, and every gate passed."""
        return self.outcome == "evaluated" and self.verdict == "pass"
