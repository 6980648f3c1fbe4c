"""A run's throughput per iteration as an SVG chart, drawn by matplotlib: each iteration's
throughput with its 95% interval as a whisker, what its evaluation decided about the best
(moved, within noise, slower), failed iterations drawn apart (they do not count), the
best marked, a best that a later audit failed boxed (the best fell back from it), and the
baseline its ratio is against as a line with its interval as a band (measured beside each
iteration; its cached figure, dashed, when none was).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import offset_copy

from jitskit_tui.protocol.texts import DECISION_WORDS
from jitskit_tui.report.figures import Point, RunFigures

PASS_COLOUR = "#1f6fb4"
FAIL_COLOUR = "#c0392b"
BEST_COLOUR = "#e69f00"
MOVED_COLOUR = "#2e8b57"
NOISE_COLOUR = "#7f7f7f"
SLOWER_COLOUR = "#8e44ad"
BASELINE_COLOUR = "#555555"

DECISION_MARKS = (
    # decisions, marker, colour, size, hollow, label, id
    (("first", "best"), "^", MOVED_COLOUR, 7, False, "the best moved here", "moved"),
    (("within-noise",), "o", NOISE_COLOUR, 7, True,
     f"{DECISION_WORDS['within-noise']}: the best stays", "within-noise"),
    (("slower",), "v", SLOWER_COLOUR, 7, False, "slower than the best: it stays", "slower"),
)  # fmt: skip
"""How each decision about the best is marked; `first` (the first to pass) is a move."""


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
        figure = Figure(figsize=(8.0, 3.2), dpi=100, layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        tag = re.sub(r"[^A-Za-z0-9_-]+", "-", salt)
        _draw_iterations(figure, axes, points, tag)
        paired = _draw_paired_baseline(axes, points, tag)
        if not paired and baseline_ops_s:
            axes.axhline(
                baseline_ops_s,
                color=BASELINE_COLOUR,
                linestyle="--",
                linewidth=1,
                label=f"{baseline or 'baseline'} {_ops(baseline_ops_s)} ops/s (cached, unpaired)",
                gid=f"{tag}-baseline",
            )
        _frame(axes, points, baseline_ops_s)
        axes.set_title(title, loc="left", fontsize=10)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _draw_iterations(figure: Figure, axes: Axes, points: Sequence[Point], tag: str) -> None:
    """The iterations; each kind of mark is a group with id ``<tag>-<kind>`` (whiskers,
    passed, failed, best, disqualified, moved, within-noise, slower), so a page that holds
    several charts can find them. The whiskers' group holds one path per iteration."""
    counting = [p for p in points if p.counts]
    with_ci = [p for p in counting if p.ci_low is not None and p.ci_high is not None]
    if with_ci:
        low = [max(0.0, p.ops_s - (p.ci_low or 0.0)) for p in with_ci]
        high = [max(0.0, (p.ci_high or 0.0) - p.ops_s) for p in with_ci]
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
    if counting:
        axes.plot(
            [p.iteration for p in counting], [p.ops_s for p in counting], "o-",
            color=PASS_COLOUR, markersize=4, linewidth=1, label="passed", gid=f"{tag}-passed",
        )  # fmt: skip
    for chosen, marker, colour, size, label, kind in (
        ([p for p in points if not p.counts], "x", FAIL_COLOUR, 7,
         "failed a gate (does not count)", "failed"),
        ([p for p in points if p.is_best], "*", BEST_COLOUR, 13, "best", "best"),
        ([p for p in points if p.disqualified], "s", FAIL_COLOUR, 10,
         "failed a later audit: the best fell back", "disqualified"),
    ):  # fmt: skip
        if chosen:
            axes.plot(
                [p.iteration for p in chosen], [p.ops_s for p in chosen], marker, color=colour,
                markerfacecolor="none" if kind == "disqualified" else colour,
                markersize=size, linestyle="none", label=label, gid=f"{tag}-{kind}",
            )  # fmt: skip
    # The decisions sit just above each whisker's top, clear of the point and the star.
    above = offset_copy(axes.transData, fig=figure, y=9, units="points")
    for decisions, marker, colour, size, hollow, label, kind in DECISION_MARKS:
        chosen = [p for p in counting if p.decision in decisions]
        if chosen:
            axes.plot(
                [p.iteration for p in chosen],
                [p.ci_high or p.ops_s for p in chosen],
                marker,
                color=colour,
                markerfacecolor="none" if hollow else colour,
                markersize=size,
                linestyle="none",
                label=label,
                gid=f"{tag}-{kind}",
                transform=above,
            )


def _draw_paired_baseline(axes: Axes, points: Sequence[Point], tag: str) -> bool:
    """The baseline as measured beside each iteration: its median as a line across the
    iteration and its 95% interval as a band (ids ``<tag>-baseline``, ``<tag>-band``);
    broken where an iteration had none. Whether any iteration had one."""
    beside = sorted((p for p in points if p.baseline is not None), key=lambda p: p.iteration)
    if not beside:
        return False
    xs: list[float] = []
    mid: list[float] = []
    low: list[float] = []
    high: list[float] = []
    previous = None
    for p in beside:
        assert p.baseline is not None
        if previous is not None and p.iteration - previous > 1:
            xs.append(previous + 0.5)
            mid.append(math.nan)
            low.append(math.nan)
            high.append(math.nan)
        b = p.baseline
        xs += [p.iteration - 0.5, p.iteration + 0.5]
        mid += [b.point] * 2
        low += [b.ci_low if b.ci_low is not None else b.point] * 2
        high += [b.ci_high if b.ci_high is not None else b.point] * 2
        previous = p.iteration
    names = ", ".join(dict.fromkeys(p.baseline_name for p in beside if p.baseline_name))
    axes.fill_between(
        xs, low, high, color=BASELINE_COLOUR, alpha=0.18, linewidth=0,
        label=f"{names or 'baseline'} 95% interval", gid=f"{tag}-band",
    )  # fmt: skip
    axes.plot(
        xs, mid, "-", color=BASELINE_COLOUR, linewidth=1.2,
        label=f"{names or 'baseline'}, measured beside each", gid=f"{tag}-baseline",
    )  # fmt: skip
    return True


def _frame(axes: Axes, points: Sequence[Point], baseline_ops_s: float | None) -> None:
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
    tops += [p.baseline.ci_high or p.baseline.point for p in points if p.baseline is not None]
    axes.set_ylim(0, max(max(tops) * 1.12, 1.0))
    axes.grid(True, axis="y", linewidth=0.5, alpha=0.5)
    if points or baseline_ops_s:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def run_chart(run: RunFigures) -> str:
    """The run's chart: its iterations against the baseline their ratios are against."""
    return throughput_chart(
        f"{run.spec_name}: throughput per iteration",
        run.points,
        baseline=run.baseline,
        baseline_ops_s=run.baseline_ops_s,
        salt=run.ws.name,
    )
