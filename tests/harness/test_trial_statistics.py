"""The statistics of trials: t-intervals on log ratios, corrected for a fixed schedule of
looks, keep the false-call rate of repeated looks at 5% and still find a 20% difference.

The simulations draw from seeded generators, so they give the same figures every run."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from jitskit_tui.harness import stats
from jitskit_tui.harness.stopping import TrialSettings, Watched, stop_reason, trial_settings
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.texts import comparison_text, interval_ratio_text, throughput_text
from jitskit_tui.spec import load_spec_text

SETTINGS = TrialSettings(min=5, max=12, target=0.05, max_seconds=60, seconds=2.5, warmup_s=0.5)


@pytest.mark.parametrize(
    ("p", "df", "table"),
    [
        (0.975, 1, 12.706),
        (0.975, 4, 2.776),
        (0.975, 10, 2.228),
        (0.995, 4, 4.604),
        (0.995, 11, 3.106),
        (0.995, 30, 2.750),
        (0.975, 1000, 1.962),
    ],
)
def test_t_quantile_matches_the_printed_tables(p: float, df: int, table: float) -> None:
    assert stats.t_quantile(p, df) == pytest.approx(table, abs=1e-3)


def test_schedule_of_looks_has_at_most_four_and_ends_at_max() -> None:
    assert stats.look_schedule(5, 12) == (5, 8, 11, 12)
    assert stats.look_schedule(3, 20) == (3, 9, 15, 20)
    assert stats.look_schedule(5, 6) == (5, 6)
    assert stats.look_schedule(2, 2) == (2,)
    with pytest.raises(ValueError, match="min >= 1"):
        stats.look_schedule(6, 4)


def test_ratio_interval_of_b_over_a_is_the_reciprocal_of_a_over_b() -> None:
    a = [10.0, 11.0, 9.5, 10.4, 10.1]
    b = [12.0, 12.9, 11.0, 12.6, 12.2]
    ab = stats.compare(a, b, "B", looks=2).ratio
    ba = stats.compare(b, a, "A", looks=2).ratio
    assert ab.ci_low is not None and ab.ci_high is not None
    assert ba.ci_low == pytest.approx(1 / ab.ci_high)
    assert ba.ci_high == pytest.approx(1 / ab.ci_low)
    assert ab.point == pytest.approx(1 / ba.point)


def test_more_looks_widen_the_interval() -> None:
    ratios = [1.02, 0.97, 1.05, 0.99, 1.01, 1.03]
    one, four = stats.log_interval(ratios, looks=1), stats.log_interval(ratios, looks=4)
    assert one.ci_low is not None and four.ci_low is not None
    assert four.ci_low < one.ci_low <= one.ci_high < four.ci_high  # type: ignore[operator]
    assert (four.looks, four.level, four.method) == (4, 0.95, "t-log-bonferroni")


def test_one_trial_gives_no_interval_and_the_verdict_same() -> None:
    interval = stats.log_interval([2.0], looks=1)
    assert interval.insufficient and interval.ci_low is None and interval.point == 2.0
    assert stats.verdict_of(interval) == "same"
    assert not stats.precise(interval, 0.05) and not stats.settled(interval, 1.0)


def test_a_median_outside_the_interval_gives_way_to_the_centre() -> None:
    # Three low ratios and two far higher: the median sits below the mean of the logs,
    # outside the interval when the correction is mild.
    ratios = [1.0, 1.0, 1.0, 3.0, 3.0]
    interval = stats.log_interval(ratios, looks=1, level=0.5)
    assert interval.point_is == "centre"
    assert interval.point == pytest.approx(math.exp(sum(map(math.log, ratios)) / 5))
    assert interval.contains(interval.point)
    plain = stats.log_interval([1.0, 1.1, 0.9, 1.05, 0.95], looks=1)
    assert plain.point_is == "median" and plain.point == 1.0


def test_verdicts_follow_the_interval_not_the_point() -> None:
    def interval(low: float, high: float) -> Interval:
        return Interval(point=(low + high) / 2, ci_low=low, ci_high=high, n=5)

    assert stats.verdict_of(interval(1.01, 1.3)) == "faster"
    assert stats.verdict_of(interval(0.7, 0.99)) == "slower"
    assert stats.verdict_of(interval(0.99, 1.3)) == "same"


def test_figures_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        stats.log_interval([1.0, 0.0], looks=1)


def test_stopping_waits_for_the_first_look_and_stops_at_max() -> None:
    tight = Watched(Interval(point=1.0, ci_low=0.99, ci_high=1.01, n=4))
    assert stop_reason(4, SETTINGS, [tight], 0.0) is None  # before the first look
    assert stop_reason(5, SETTINGS, [tight], 0.0) is not None
    assert stop_reason(6, SETTINGS, [tight], 0.0) is None  # not a look
    wide = Watched(Interval(point=1.0, ci_low=0.8, ci_high=1.25, n=12))
    assert stop_reason(11, SETTINGS, [wide], 0.0) is None
    assert "12 rounds" in (stop_reason(12, SETTINGS, [wide], 0.0) or "")


def test_stopping_needs_every_watched_interval_precise_or_settled() -> None:
    precise = Watched(Interval(point=1.0, ci_low=0.97, ci_high=1.03, n=5))
    wide = Watched(Interval(point=1.5, ci_low=1.2, ci_high=1.9, n=5))
    assert stop_reason(5, SETTINGS, [precise, wide], 0.0) is None
    settled_win = Watched(wide.interval, threshold=1.02)
    assert stop_reason(5, SETTINGS, [precise, settled_win], 0.0) is not None
    straddling = Watched(Interval(point=1.02, ci_low=0.95, ci_high=1.1, n=5), threshold=1.02)
    assert stop_reason(5, SETTINGS, [straddling], 0.0) is None


def test_the_time_cap_stops_after_the_round_under_way() -> None:
    wide = Watched(Interval(point=1.0, ci_low=0.8, ci_high=1.25, n=3))
    assert "time cap" in (stop_reason(3, SETTINGS, [wide], 61.0) or "")
    assert stop_reason(3, SETTINGS, [wide], 59.0) is None


def test_settings_come_from_the_card_with_the_warm_up_rule() -> None:
    card = load_spec_text(
        """\
name: t
requirement: {operations: [read, upsert], durability: power_loss}
environment:
  cpus: 2
  memory_limit: 1GiB
  store_memory_budget: 256MiB
  data_dir: {medium: disk, size: 1GiB}
workload: {preset: A, record_count: 10k, operation_count: 1M, value_size: 64, threads: 2}
loop:
  trials: {min: 3, max: 7, target: 4%, max_seconds: 30s}
  quick: {duration: 1.5s}
"""
    )
    quick, full = trial_settings(card, "quick"), trial_settings(card, "full")
    assert (quick.min, quick.max, quick.target, quick.max_seconds) == (3, 7, 0.04, 30.0)
    assert quick.seconds == 1.5 and quick.warmup_s == 0.75  # disk: 1 s, but half a trial
    assert full.seconds == 8.0 and full.warmup_s == 1.0 and full.max_seconds == 120.0
    assert quick.looks == (3, 5, 7) and quick.pinned(2).looks == (2,)


# -- the procedure, simulated ------------------------------------------------------------

Draw = Callable[[random.Random], tuple[float, float]]


def paired_noise(ratio: float, side_cv: float, round_cv: float) -> Draw:
    """One round of two sides: a shared machine factor for the round (what pairing
    cancels) and each side's own log-normal noise; B's true throughput is ``ratio`` x A's."""

    def draw(rng: random.Random) -> tuple[float, float]:
        shared = math.exp(rng.gauss(0.0, round_cv))
        a = 10e6 * shared * math.exp(rng.gauss(0.0, side_cv))
        b = 10e6 * ratio * shared * math.exp(rng.gauss(0.0, side_cv))
        return a, b

    return draw


def verdicts(draw: Draw, runs: int, seed: int, *, threshold: float | None, looks: int) -> list[str]:
    """The verdict of B against A in each of ``runs`` simulated evaluations that stop by
    the stopping rule, with intervals corrected for ``looks`` looks."""
    rng = random.Random(seed)
    found = []
    for _ in range(runs):
        a: list[float] = []
        b: list[float] = []
        while True:
            pa, pb = draw(rng)
            a.append(pa)
            b.append(pb)
            if len(a) < SETTINGS.min and len(a) < SETTINGS.max:
                continue
            comparison = stats.compare(b, a, "A", looks)
            watched = [Watched(comparison.ratio, threshold)]
            if stop_reason(len(a), SETTINGS, watched, 0.0) is not None:
                found.append(comparison.verdict)
                break
    return found


def share(found: list[str], *kinds: str) -> float:
    return sum(1 for v in found if v in kinds) / len(found)


@pytest.mark.parametrize("side_cv", [0.02, 0.1])
def test_a_store_against_itself_is_called_different_at_most_5_percent(side_cv: float) -> None:
    # Stopping as soon as the interval leaves 1 is the most tempting way to peek.
    found = verdicts(
        paired_noise(1.0, side_cv, 0.15), 2000, seed=1, threshold=1.0, looks=SETTINGS.look_count
    )
    assert share(found, "faster", "slower") <= 0.05


def test_without_the_correction_peeking_calls_a_store_different_from_itself_too_often() -> None:
    # The same procedure with each look at the nominal 95%: the check above can fail.
    found = verdicts(paired_noise(1.0, 0.1, 0.15), 2000, seed=1, threshold=1.0, looks=1)
    assert share(found, "faster", "slower") > 0.06


@pytest.mark.parametrize("ratio", [0.8, 1.2])
def test_a_20_percent_difference_is_found_at_least_95_percent_of_the_time(ratio: float) -> None:
    # 5% noise per side within a round, 15% shared by the round (a busy neighbour).
    found = verdicts(
        paired_noise(ratio, 0.05, 0.15), 1000, seed=2, threshold=1.0, looks=SETTINGS.look_count
    )
    assert share(found, "slower" if ratio < 1 else "faster") >= 0.95


def test_intervals_read_with_their_ends_and_how_many_rounds() -> None:
    ratio = Interval(point=2.21, ci_low=2.05, ci_high=2.38, n=8)
    assert interval_ratio_text(ratio) == "2.21x [2.05\u20132.38]"
    assert interval_ratio_text(Interval(point=1.5, n=1)) == "1.50x [no interval]"
    comparison = Comparison(other="incumbent", ratio=ratio, verdict="faster")
    assert comparison_text(comparison) == (
        "2.21x [2.05\u20132.38] faster than incumbent (paired, 8 rounds)"
    )
    own = Interval(point=1_234_567, ci_low=1_200_000, ci_high=1_270_000, n=8)
    assert throughput_text(own) == "1,234,567 ops/s [1,200,000\u20131,270,000] over 8 trials"
