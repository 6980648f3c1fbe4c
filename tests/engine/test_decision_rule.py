"""The decision rule and its words: the best moves iff the candidate counts and either
there is no best (`first`) or the paired ratio's whole interval is at or above
1 + min_effect (`best`); `slower` when the interval is wholly below 1; otherwise
`within-noise`. Every sentence about it carries the interval, never a bare ratio."""

from __future__ import annotations

import pytest

from jitskit_tui.engine.decisions import baseline_comparison, decide, judge
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.results import EvalResult, PeerOutcome
from jitskit_tui.protocol.texts import (
    TIMES,
    decision_text,
    interval_ratio_text,
    outcome_text,
    shown_ratio_text,
    verdict_line,
)


def vs(point: float, low: float | None, high: float | None, other: str = "incumbent") -> Comparison:
    return Comparison(other=other, ratio=Interval(point=point, ci_low=low, ci_high=high, n=5))


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        (vs(1.30, 1.02, 1.60), "best"),  # exactly at the threshold moves it
        (vs(1.30, 1.019, 1.60), "within-noise"),
        (vs(1.03, 0.97, 1.09), "within-noise"),
        (vs(0.95, 0.90, 1.00), "within-noise"),  # touching 1 is not slower
        (vs(0.60, 0.55, 0.68), "slower"),
        (vs(2.00, None, None), "within-noise"),  # one round: no interval, no claim
        (None, "within-noise"),  # the incumbent's trials failed in this window
    ],
)
def test_an_incumbent_is_beaten_only_by_an_interval_above_the_threshold(
    comparison: Comparison | None, expected: str
) -> None:
    assert decide(True, 4, comparison, 0.02) == expected


def test_the_first_counting_iteration_moves_the_best_and_a_failed_one_never() -> None:
    assert decide(True, None, None, 0.02) == "first"
    assert decide(False, None, None, 0.02) == "failed"
    assert decide(False, 4, vs(3.0, 2.5, 3.5), 0.02) == "failed"


def result(comparisons: list[Comparison], peers: dict[str, float]) -> EvalResult:
    return EvalResult(
        name="candidate",
        verdict="pass",
        gates=[],
        throughput_ops_s=1_000_000.0,
        spec_sha256="-",
        comparisons=comparisons,
        peers={n: PeerOutcome(name=n, throughput_ops_s=ops) for n, ops in peers.items()},
    )


def test_the_ratio_is_against_the_fastest_baseline_paired_in_the_window() -> None:
    measured = result(
        [vs(1.4, 1.3, 1.5), vs(2.1, 2.0, 2.2, "baseline:tbb-chm"), vs(1.8, 1.7, 1.9, "baseline:m")],
        {"baseline:tbb-chm": 476_000.0, "baseline:m": 555_000.0},
    )
    found = baseline_comparison(measured, ("tbb-chm", 400_000.0))
    assert found is not None
    comparison, figure = found
    assert comparison.other == "baseline:m" and comparison.paired and figure == 555_000.0
    judged = judge(measured, True, 4, 0.02)
    assert judged.decision == "best" and judged.vs_best == measured.comparisons[0]
    assert judged.reason == "1.40\u00d7 [1.30\u20131.50] vs the best (#4): its interval clears 1.02"


def test_without_a_paired_baseline_the_ratio_is_the_cached_one_labelled_unpaired() -> None:
    found = baseline_comparison(result([], {}), ("tbb-chm", 400_000.0))
    assert found is not None
    comparison, figure = found
    assert not comparison.paired and comparison.ratio.point == 2.5 and figure == 400_000.0
    assert comparison.ratio.ci_low is None
    assert baseline_comparison(result([], {}), None) is None


def test_the_words_carry_the_interval_and_the_decision() -> None:
    near = vs(1.03, 0.97, 1.09)
    decided = decision_text("within-noise", near, 4, sign=TIMES)
    assert decided == "vs best 1.03\u00d7 [0.97\u20131.09] \u2248 within noise, best stays #4"
    line = outcome_text(vs(1.84, 1.71, 1.98, "baseline:tbb-chm"), decided, TIMES)
    assert line == (
        "1.84\u00d7 [1.71\u20131.98] vs tbb-chm; "
        "vs best 1.03\u00d7 [0.97\u20131.09] \u2248 within noise, best stays #4"
    )
    assert (
        decision_text("best", vs(1.31, 1.2, 1.43), 4) == "vs best 1.31x [1.20\u20131.43]: new best"
    )
    assert decision_text("slower", vs(0.6, 0.55, 0.68), 4).endswith("slower, best stays #4")
    assert decision_text("failed", None, 4) == "does not count, best stays #4"
    assert decision_text("", None, None) == ""  # a record from before decisions


def test_a_ratio_in_a_cell_is_marked_within_noise_or_unpaired() -> None:
    near = vs(1.01, 0.97, 1.05)
    assert shown_ratio_text(near, sign=TIMES) == "\u2248 1.01\u00d7 [0.97\u20131.05]"
    clear = vs(2.21, 2.05, 2.38).model_copy(update={"verdict": "faster"})
    assert shown_ratio_text(clear, sign=TIMES) == "2.21\u00d7 [2.05\u20132.38]"
    # Faster than 1 but short of 1 + min_effect: the decision calls it noise.
    assert shown_ratio_text(clear, within_noise=True).startswith("\u2248 2.21x")
    cached = Comparison(other="baseline:lmdb", ratio=Interval(point=1.84), paired=False)
    assert shown_ratio_text(cached, sign=TIMES) == "1.84\u00d7 unpaired"
    # Far below 1, two significant digits still tell the ends apart.
    slow = Interval(point=0.0135, ci_low=0.0112, ci_high=0.0176)
    assert interval_ratio_text(slow) == "0.013x [0.011\u20130.018]"
    # Three significant digits above 10: the cell stays narrow.
    fast = Interval(point=19.136, ci_low=9.72, ci_high=126.3)
    assert interval_ratio_text(fast) == "19.1x [9.72\u2013126]"


def test_a_record_reads_with_its_decision_and_a_legacy_ratio_is_marked_unpaired() -> None:
    record = IterationRecord(
        iteration=5,
        parent_iteration=4,
        step=5,
        branch="main",
        summary="s",
        outcome="evaluated",
        verdict="pass",
        throughput_ops_s=1_000_000.0,
        decision="within-noise",
        incumbent_iteration=4,
        vs_best=vs(1.03, 0.97, 1.09),
        vs_baseline=vs(1.84, 1.71, 1.98, "baseline:tbb-chm"),
    )
    assert verdict_line(record) == (
        "pass, 1,000,000 ops/s; 1.84x [1.71\u20131.98] vs tbb-chm; "
        "vs best 1.03x [0.97\u20131.09] \u2248 within noise, best stays #4"
    )
    legacy = record.model_copy(
        update={"decision": "", "vs_best": None, "vs_baseline": None, "ratio": 1.62}
    )
    legacy.baseline = "tbb-chm"
    assert verdict_line(legacy).endswith(
        "1.62x vs tbb-chm (unpaired: its cached figure, measured at another time)"
    )
