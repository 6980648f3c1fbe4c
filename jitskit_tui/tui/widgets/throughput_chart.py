"""The per-iteration chart: each iteration's throughput with its 95% interval as a
whisker, and beside it (◆) each baseline measured in the same evaluation with its own;
the run's cached baseline figure as a line.

A baseline's interval is computed here from its trials (`trial_finished`) the way the
harness computes the candidate's (:func:`jitskit_tui.harness.stats.log_interval`, with
the same correction for looks). The y axis is logarithmic when the figures spread wide,
so an interval reads as the same distance wherever it sits. A log from before trials has
no intervals: its points show without whiskers.
"""

from __future__ import annotations

from dataclasses import dataclass

from jitskit_tui.harness.stats import log_interval
from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.protocol.texts import side_name
from jitskit_tui.tui.run.formatting import compact, ops_text
from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.widgets.live_chart import BASELINE_COLOURS
from jitskit_tui.tui.widgets.run_chart import RunChart, y_scale

BASELINE_OFFSET = 0.3
"""How far left of its iteration a baseline measured beside it is drawn."""


@dataclass(frozen=True)
class Whisker:
    """One figure of the chart: a point and, when it has one, its interval."""

    x: float
    point: float
    low: float | None
    high: float | None
    colour: str
    marker: str

    @property
    def ends(self) -> list[float]:
        return [v for v in (self.low, self.point, self.high) if v is not None and v > 0]


def iteration_whiskers(view: RunView) -> list[Whisker]:
    """Each finished iteration's figure (failed ones red, the best yellow, one an audit
    test disqualified grey) and each baseline measured beside it."""
    state = view.state
    shown: list[Whisker] = []
    baselines = sorted(
        {side for sides in view.trials.values() for side in sides if side.startswith("baseline:")}
    )
    for it in view.iterations():
        if it.state != "done":
            continue
        bench = view.bench.get(it.iteration)
        interval = bench.throughput if bench is not None else None
        counts = it.verdict == "pass"
        colour = (
            "red"
            if not counts
            else "orange+"
            if it.is_best
            else "gray"
            if it.iteration in state.disqualified
            else "green"
        )
        if it.throughput_ops_s > 0:
            low, high = (interval.ci_low, interval.ci_high) if interval else (None, None)
            marker = "●" if counts else "✗"
            shown.append(Whisker(it.iteration, it.throughput_ops_s, low, high, colour, marker))
        looks = interval.looks if interval is not None else 1
        for side, figures in view.trials.get(it.iteration, {}).items():
            if side in baselines:
                measured = _interval([f for f in figures if f > 0], looks)
                if measured is not None:
                    colour = BASELINE_COLOURS[baselines.index(side) % len(BASELINE_COLOURS)]
                    shown.append(
                        Whisker(
                            it.iteration - BASELINE_OFFSET,
                            measured.point,
                            measured.ci_low,
                            measured.ci_high,
                            colour,
                            "◆",
                        )
                    )
    return shown


def _interval(figures: list[float], looks: int) -> Interval | None:
    return log_interval(figures, looks) if figures else None


class ThroughputChart(RunChart):
    """Each iteration's throughput with its interval; the baselines beside it."""

    title = "throughput per iteration"

    def draw(self) -> None:
        view = self.view
        done = [it for it in view.iterations() if it.state == "done"] if view else []
        if view is None or not done:
            self.empty("no iteration finished yet")
            return
        plt = self.plt
        whiskers = iteration_whiskers(view)
        for w in whiskers:
            if w.low is not None and w.high is not None:
                plt.plot([w.x, w.x], [w.low, w.high], marker="braille", color=w.colour)
        for w in whiskers:  # the points over their whiskers
            plt.scatter([w.x], [w.point], marker=w.marker, color=w.colour)
        figures = [v for w in whiskers for v in w.ends]
        state = view.state
        cached, name = state.baseline_ops_s, state.baseline_name
        if cached:
            plt.hline(cached, "blue")
            figures.append(cached)
        if not figures:
            self.empty("no throughput measured yet")
            return
        y_scale(plt, figures)
        numbers = [it.iteration for it in done]
        plt.xticks([float(n) for n in numbers], [str(n) for n in numbers])
        plt.xlim(min(numbers) - 0.7, max(numbers) + 0.5)
        failed = [it.iteration for it in done if it.verdict != "pass" and not it.throughput_ops_s]
        intervals = any(w.low is not None for w in whiskers)
        plt.title(self._title(view, intervals, failed))
        plt.xlabel(self._legend(view, cached, name))

    def _title(self, view: RunView, intervals: bool, failed: list[int]) -> str:
        state = view.state
        best = state.best_iteration
        best_text = f"★ best #{best} {ops_text(state.best_ops_s)}" if best else "no best yet"
        unmeasured = f" · no figure: #{', #'.join(map(str, failed))}" if failed else ""
        smaller = any(r.smaller_machine for r in view.bench.values())
        mark = " · smaller machine than the card" if smaller else ""
        what = "ops/s per iteration, 95% intervals" if intervals else "ops/s per iteration"
        return f"{what} · {best_text}{unmeasured}{mark}"

    def _legend(self, view: RunView, cached: float | None, name: str | None) -> str:
        """What the marks are, and the driver's floor in the selected iteration's
        evaluation (how close a store is to it), as much as fits under the chart (plotext
        drops a label wider than the chart)."""
        paired = sorted(
            {side_name(s) for sides in view.trials.values() for s in sides if "baseline:" in s}
        )
        parts = ["● iteration"]
        if paired:
            parts.append(f"◆ {', '.join(paired)} beside it")
        if cached:
            parts.append(f"── {name or 'baseline'} cached {compact(cached)}, unpaired")
        floors = [
            (n, r.floor_ns_per_op) for n, r in sorted(view.bench.items()) if r.floor_ns_per_op
        ]
        chosen = next((f for f in floors if f[0] == self.iteration), floors[-1] if floors else None)
        if chosen is not None:
            parts.append(f"driver floor {chosen[1]:.1f} ns/op (#{chosen[0]})")
        room = self.size.width - 12
        while len(parts) > 1 and len(" · ".join(parts)) > room:
            parts.pop(0 if len(parts) > 2 else -1)
        return " · ".join(parts)
