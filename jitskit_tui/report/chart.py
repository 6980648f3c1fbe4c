"""A run's throughput per iteration as an SVG chart, drawn by matplotlib: each iteration's
throughput with its 95% interval as a whisker, failed iterations drawn apart (they do not
count), the best marked, and the best comparable baseline as a line across.

The figure is made with matplotlib's object API and its SVG canvas, never pyplot, so
nothing global changes (no backend switch, no figure left open) and charts can be drawn
from any thread. Text stays text in the SVG (searchable, sharp at any zoom); ids are
salted per chart so several charts can sit in one HTML page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from jitskit_tui.report.figures import Point, RunFigures

PASS_COLOUR = "#1f6fb4"
FAIL_COLOUR = "#c0392b"
BEST_COLOUR = "#e69f00"
BASELINE_COLOUR = "#555555"


def _ops(value: float, _: object = None) -> str:
    """``12.3M``, ``845k``, ``950``."""
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.0f}"


def throughput_chart(
    title: str,
    points: Sequence[Point],
    *,
    baseline: str | None,
    baseline_ops_s: float | None,
    salt: str,
) -> str:
    """The chart as an SVG document (no XML prolog: it can be inlined in HTML)."""
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 9}):
        figure = Figure(figsize=(6.4, 3.0), dpi=100, layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        _draw(axes, points, baseline, baseline_ops_s, re.sub(r"[^A-Za-z0-9_-]+", "-", salt))
        axes.set_title(title, loc="left", fontsize=10)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _draw(
    axes: Axes,
    points: Sequence[Point],
    baseline: str | None,
    baseline_ops_s: float | None,
    tag: str,
) -> None:
    """Draws the series; each kind of mark is a group with id ``<tag>-<kind>`` (whiskers,
    passed, failed, best, baseline), so a page that holds several charts can find them."""
    counting = [p for p in points if p.counts]
    failing = [p for p in points if not p.counts]
    if counting:
        xs = [p.iteration for p in counting]
        ys = [p.ops_s for p in counting]
        with_ci = [p for p in counting if p.ci_low is not None and p.ci_high is not None]
        if with_ci:
            low = [p.ops_s - (p.ci_low or p.ops_s) for p in with_ci]
            high = [(p.ci_high or p.ops_s) - p.ops_s for p in with_ci]
            _, caps, bars = axes.errorbar(
                [p.iteration for p in with_ci],
                [p.ops_s for p in with_ci],
                yerr=[low, high],
                fmt="none",
                ecolor=PASS_COLOUR,
                elinewidth=1,
                capsize=3,
                label="95% interval",
            )
            for index, artist in enumerate((*bars, *caps)):
                artist.set_gid(f"{tag}-whiskers" if index == 0 else f"{tag}-whiskers-{index}")
        axes.plot(
            xs, ys, "o-", color=PASS_COLOUR, markersize=5, linewidth=1, label="passed",
            gid=f"{tag}-passed",
        )  # fmt: skip
    marks = (
        (failing, "x", FAIL_COLOUR, 7, "failed a gate (does not count)", "failed"),
        ([p for p in points if p.is_best], "*", BEST_COLOUR, 13, "best", "best"),
    )
    for chosen, marker, colour, size, label, kind in marks:
        if chosen:
            axes.plot(
                [p.iteration for p in chosen],
                [p.ops_s for p in chosen],
                marker,
                color=colour,
                markersize=size,
                linestyle="none",
                label=label,
                gid=f"{tag}-{kind}",
            )
    if baseline_ops_s:
        axes.axhline(
            baseline_ops_s,
            color=BASELINE_COLOUR,
            linestyle="--",
            linewidth=1,
            label=f"{baseline or 'baseline'} {_ops(baseline_ops_s)} ops/s",
            gid=f"{tag}-baseline",
        )
    if not points:
        axes.text(0.5, 0.5, "no iteration committed", ha="center", va="center",
                  transform=axes.transAxes)  # fmt: skip
    axes.set_xlabel("iteration")
    axes.set_ylabel("throughput (ops/s)")
    last = max((p.iteration for p in points), default=1)
    axes.set_xlim(0.5, last + 0.5)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axes.yaxis.set_major_formatter(FuncFormatter(_ops))
    tops = [p.ci_high or p.ops_s for p in points] + [baseline_ops_s or 0.0]
    axes.set_ylim(0, max(max(tops) * 1.12, 1.0))
    axes.grid(True, axis="y", linewidth=0.5, alpha=0.5)
    if points or baseline_ops_s:
        axes.legend(loc="lower right", fontsize=7, framealpha=0.8)


def run_chart(run: RunFigures) -> str:
    """The run's chart: its iterations against its best comparable baseline."""
    return throughput_chart(
        f"{run.spec_name}: throughput per iteration",
        run.points,
        baseline=run.baseline,
        baseline_ops_s=run.baseline_ops_s,
        salt=run.ws.name,
    )
