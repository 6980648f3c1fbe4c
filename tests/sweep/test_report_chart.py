"""The report draws what a run measured: whiskers for iterations measured with an
interval, failed iterations apart from the passing ones, the best marked, the baseline as
a line across; a headline ratio carries its interval, an in-loop one is marked as such."""

from __future__ import annotations

from pathlib import Path

from chromium import rendered_dom

from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.report.figures import Point, Ratio, RunFigures
from jitskit_tui.report.html_page import render_html
from jitskit_tui.report.source import ReportSource


def figures(name: str, ratio: Ratio) -> RunFigures:
    return RunFigures(
        ws=Workspace(Path("/runs") / name),
        spec_name=name,
        status="finished",
        baseline="tbb-chm",
        baseline_ops_s=2.5e6,
        store_ops_s=5.5e6,
        best_iteration=3,
        ratio=ratio,
        completed=3,
        budget=3,
        passing=2,
        points=[
            Point(1, 1.0e6, counts=True, ci_low=0.9e6, ci_high=1.1e6),
            Point(2, 7.0e6, counts=False),
            Point(3, 5.5e6, counts=True, is_best=True, ci_low=5.1e6, ci_high=5.9e6),
        ],
    )


def test_chart_and_table_show_intervals_failures_and_the_baseline(tmp_path: Path) -> None:
    source = ReportSource(
        title="results",
        about="two runs",
        runs=[
            figures("headlined", Ratio(2.21, 2.05, 2.38, against="tbb-chm", headline=True)),
            figures("in-loop", Ratio(2.2, against="tbb-chm")),
        ],
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(source))
    dom = rendered_dom(page, tmp_path / "profile")

    table = dom[dom.index('<table class="results">') : dom.index("</table>")]
    assert '<td class="number">2.21x [2.05-2.38]</td>' in table
    assert '<td class="number">2.20x *</td>' in table  # not the headline: marked
    assert "headline not measured yet" in dom
    chart = dom[dom.index('id="run-headlined"') : dom.index('id="run-in-loop"')]
    for mark in ("whiskers", "passed", "failed", "best", "baseline"):
        assert f'id="headlined-{mark}"' in chart, mark
    assert "tbb-chm 2.5M ops/s" in chart and "95% interval" in chart
    assert "failed a gate (does not count)" in chart
