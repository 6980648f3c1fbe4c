"""The loop's decisions on evidence: whether an iteration's store becomes the best, and
which of its comparisons is its ratio to the best comparable baseline.

The rule (issue 12): the best moves if and only if the candidate counts (every gate
passed) and either there is no best yet (`first`) or its paired ratio to the incumbent
best, measured in the same evaluation, has ``ci_low >= 1 + loop.min_effect`` (`best`).
Otherwise the incumbent stays and the iteration is `slower` (the whole interval below 1),
`within-noise` (anything else), or `failed` (it does not count).
"""

from __future__ import annotations

from dataclasses import dataclass

from jitskit_tui.harness.baseline_runs import BASELINE_SIDE
from jitskit_tui.protocol.events import Decision
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.texts import TIMES, decision_reason

INCUMBENT = "incumbent"
"""The side name of the run's best, measured beside each iteration's candidate."""


@dataclass(frozen=True)
class Judgement:
    """What an iteration's evaluation decided, with the comparisons it rests on."""

    decision: Decision
    incumbent: int | None
    """The best the candidate was measured against (``None``: there was none)."""
    vs_best: Comparison | None
    reason: str
    """Why, in words (the `best_moved` event's reason when the best moves)."""

    @property
    def moves_best(self) -> bool:
        return self.decision in ("first", "best")


def decide(
    counts: bool, incumbent: int | None, vs_best: Comparison | None, min_effect: float
) -> Decision:
    """The decision rule (this module's docstring). Without a paired comparison to an
    incumbent that exists (its trials failed in this window), nothing can be claimed: the
    incumbent stays, `within-noise`."""
    if not counts:
        return "failed"
    if incumbent is None:
        return "first"
    if vs_best is None or vs_best.ci_low is None or vs_best.ci_high is None:
        return "within-noise"
    if vs_best.ci_low >= 1.0 + min_effect:
        return "best"
    if vs_best.ci_high < 1.0:
        return "slower"
    return "within-noise"


def judge(
    result: EvalResult | None, counts: bool, incumbent: int | None, min_effect: float
) -> Judgement:
    """The decision about a candidate whose evaluation gave ``result`` (``None`` when
    none ran), measured beside ``incumbent`` (the best's iteration, when there was one)."""
    vs_best = incumbent_comparison(result) if incumbent is not None else None
    decision = decide(counts, incumbent, vs_best, min_effect)
    return Judgement(
        decision=decision,
        incumbent=incumbent,
        vs_best=vs_best,
        reason=decision_reason(decision, vs_best, incumbent, min_effect, TIMES),
    )


def incumbent_comparison(result: EvalResult | None) -> Comparison | None:
    if result is None:
        return None
    return next((c for c in result.comparisons if c.other == INCUMBENT), None)


def baseline_comparison(
    result: EvalResult | None, cached: tuple[str, float] | None
) -> tuple[Comparison, float] | None:
    """The candidate's ratio to the best comparable baseline and that baseline's figure.

    Paired when baselines were measured beside it: of those (the best comparable one and
    every one whose interval overlapped it), the one it compares worst with, which is the
    fastest in this window, so the ratio is never flattered by which one was named best
    at the start. Otherwise, against the run's ``cached`` figure, unpaired and without an
    interval. ``None`` when neither exists or the candidate has no figure."""
    if result is None or result.throughput_ops_s <= 0:
        return None
    paired = [c for c in result.comparisons if c.other.startswith(BASELINE_SIDE)]
    if paired:
        worst = min(paired, key=lambda c: c.ratio.point)
        peer = result.peers.get(worst.other)
        figure = peer.throughput_ops_s if peer is not None else 0.0
        return worst, figure
    if cached is None or cached[1] <= 0:
        return None
    name, ops_s = cached
    unpaired = Comparison(
        other=BASELINE_SIDE + name,
        ratio=Interval(point=result.throughput_ops_s / ops_s),
        paired=False,
    )
    return unpaired, ops_s
