"""An iteration commit's trailers carry its ratio with the interval and the baseline it is
against, and its decision; the headline commit carries the headline. Trailers written
before intervals (a bare number) still read back."""

from __future__ import annotations

from jitskit_tui.engine.gitrepo import Trailers, parse_ratio_trailer, parse_trailers
from jitskit_tui.protocol.headline import Headline
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.texts import headline_trailer


def trailers(vs_baseline: Comparison | None, ratio: float | None) -> dict[str, str]:
    rendered = Trailers(
        iteration=4,
        verdict="pass",
        throughput_ops_s=1_234_567.4,
        ratio=ratio,
        vs_baseline=vs_baseline,
        decision="within-noise",
    ).render()
    return parse_trailers(f"iteration 4: a change\n\n{rendered}")


def test_a_paired_ratio_is_written_with_its_interval_and_baseline_in_ascii() -> None:
    paired = Comparison(
        other="baseline:tbb-chm", ratio=Interval(point=1.84, ci_low=1.713, ci_high=1.978, n=6)
    )
    found = trailers(paired, 1.84)
    assert found["Jitskit-Ratio"] == "1.84x [1.71-1.98] vs tbb-chm"
    assert found["Jitskit-Decision"] == "within-noise"
    assert found["Jitskit-Throughput"] == "1234567" and found["Jitskit-Iteration"] == "4"
    read = parse_ratio_trailer(found["Jitskit-Ratio"])
    assert read is not None and (read.point, read.ci_low, read.ci_high) == (1.84, 1.71, 1.98)
    assert read.against == "tbb-chm"


def test_an_unpaired_ratio_says_so_and_an_unknown_one_reads_as_none() -> None:
    cached = Comparison(other="baseline:lmdb", ratio=Interval(point=3.456), paired=False)
    found = trailers(cached, 3.456)
    assert found["Jitskit-Ratio"] == "3.46x vs lmdb (unpaired)"
    read = parse_ratio_trailer(found["Jitskit-Ratio"])
    assert read is not None and read.point == 3.46 and read.ci_low is None
    assert read.against == "lmdb"
    assert trailers(None, None)["Jitskit-Ratio"] == "unknown"
    assert parse_ratio_trailer("unknown") is None


def test_trailers_written_before_intervals_still_read() -> None:
    read = parse_ratio_trailer("1.234")
    assert read is not None and read.point == 1.234 and read.ci_low is None
    assert read.against is None


def test_the_headline_trailer_names_size_pairing_trials_and_seed() -> None:
    headline = Headline(
        best_iteration=6,
        seed=12345,
        trials=8,
        against="baseline:tbb-chm",
        comparisons=[
            Comparison(
                other="baseline:tbb-chm",
                ratio=Interval(point=2.21, ci_low=2.05, ci_high=2.38, n=8),
            )
        ],
    )
    assert headline_trailer(headline) == (
        "2.21x [2.05-2.38] vs tbb-chm (full, paired, 8 trials, seed 12345)"
    )
