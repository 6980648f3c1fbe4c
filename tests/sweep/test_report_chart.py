"""The report draws what a run measured: whiskers for iterations measured with an
interval, what each decided about the best (moved, within noise, slower), failed
iterations apart from the passing ones, the best marked, and the baseline as a line with
its interval as a band where it was measured beside the iterations (its cached figure,
dashed, where it was not); a row that is not a headline is marked, with why."""

from __future__ import annotations

import re
from pathlib import Path

from chromium import rendered_dom
from sweepkit import svg_group as group

from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.protocol.texts import RANGE_DASH, TIMES
from jitskit_tui.report.figures import Point, RunFigures
from jitskit_tui.report.html_page import render_html
from jitskit_tui.report.source import ReportSource

BESIDE = Interval(point=2.5e6, ci_low=2.2e6, ci_high=2.8e6, n=3)
IN_LOOP = f"2.20{TIMES} [2.05{RANGE_DASH}2.38] vs tbb-chm"
LIVE = "the run is still live: its headline is measured when it ends"


def figures(name: str, *, paired: bool) -> RunFigures:
    """Five iterations: first, failed, a win, within noise, slower."""
    beside = {"baseline": BESIDE, "baseline_name": "tbb-chm"} if paired else {}
    return RunFigures(
        ws=Workspace(Path("/runs") / name),
        spec_name=name,
        status="live",
        baseline="tbb-chm",
        baseline_ops_s=2.5e6,
        store_ops_s=5.5e6,
        best_iteration=3,
        ratio=IN_LOOP,
        no_headline=LIVE,
        completed=5,
        budget=6,
        passing=4,
        points=[
            Point(1, 1.0e6, True, decision="first", ci_low=0.9e6, ci_high=1.1e6, **beside),
            Point(2, 7.0e6, False, decision="failed"),
            Point(3, 5.5e6, True, True, 5.1e6, 5.9e6, decision="best", **beside),
            Point(4, 5.6e6, True, False, 5.0e6, 6.1e6, decision="within-noise", **beside),
            Point(5, 3.0e6, True, False, 2.8e6, 3.2e6, decision="slower", **beside),
        ],
    )


def test_chart_draws_intervals_decisions_and_the_baseline_band(tmp_path: Path) -> None:
    source = ReportSource(
        title="results",
        about="two runs",
        runs=[figures("paired", paired=True), figures("cached", paired=False)],
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(source))
    dom = rendered_dom(page, tmp_path / "profile")

    table = dom[dom.index('<table class="results">') : dom.index("</table>")]
    assert f'<td class="number">{IN_LOOP} *</td>' in table
    assert "Not the headline: the best iteration's in-loop figures" in dom
    assert f"<li>paired: {LIVE}</li>" in dom and f"No headline: {LIVE}." in dom

    chart = dom[dom.index('id="run-paired"') : dom.index('id="run-cached"')]
    assert len(re.findall("<path ", group(chart, "paired-whiskers"))) == 4  # one per pass
    assert len(re.findall("<use ", group(chart, "paired-moved"))) == 2  # first, and the win
    for mark in ("within-noise", "slower", "failed", "best", "band", "baseline"):
        assert f'id="paired-{mark}"' in chart, mark
    for label in (
        "the best moved here",
        "\u2248 within noise: the best stays",
        "slower than the best: it stays",
        "failed a gate (does not count)",
        "tbb-chm, measured beside each",
        "tbb-chm 95% interval",
    ):
        assert label in chart, label

    cached = dom[dom.index('id="run-cached"') :]
    assert 'id="cached-baseline"' in cached and 'id="cached-band"' not in cached
    assert "tbb-chm 2.5M ops/s (cached, unpaired)" in cached
