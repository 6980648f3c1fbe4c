"""The run's charts (plotext through textual-plotext), redrawn at a bounded rate.

Ticks can arrive far faster than a chart is worth redrawing: a chart only notes that its
data moved, and redraws at most every :data:`REDRAW_S` while it is on screen. Long
series are downsampled to about two points per column, keeping each bucket's extremes.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import BindingType
from textual.containers import Container
from textual.reactive import reactive
from textual.timer import Timer
from textual_plotext import PlotextPlot

from jitskit_tui.tui.keymap import CHART_KEYS
from jitskit_tui.tui.run.formatting import compact, ops_text
from jitskit_tui.tui.run.model import RunView

REDRAW_S = 0.5
MIN_WIDTH, MIN_HEIGHT = 24, 6
PERCENTILES = (("p50", "p50_us"), ("p90", "p90_us"), ("p99", "p99_us"), ("p99.9", "p999_us"))
MIB = 1 << 20


def _ticks(low: float, high: float, count: int = 4) -> tuple[list[float], list[str]]:
    """Round y ticks between ``low`` and ``high`` with compact labels (1.5M, not 1500000)."""
    if high <= low:
        return [high], [compact(high)]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    values = []
    value = first
    while value <= high + step * 1e-9:
        values.append(value)
        value += step
    return values, [compact(v) for v in values]


class RunChart(PlotextPlot):
    """A chart of one part of a run; subclasses draw it in :meth:`draw`."""

    title: ClassVar[str] = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.view: RunView | None = None
        self.iteration: int | None = None
        self._dirty = True
        self._last_draw = 0.0
        self._timer: Timer | None = None
        self._drawn: tuple[tuple[int, int], RenderResult] | None = None
        self._started = False
        """Mounted (``is_mounted`` is still False in ``on_mount``, when the first redraw
        is asked for)."""
        self.draws = 0

    def bind(self, view: RunView | None, iteration: int | None = None) -> None:
        self.view = view
        self.iteration = iteration
        self.request_redraw()

    def select(self, iteration: int | None) -> None:
        if iteration != self.iteration:
            self.iteration = iteration
            self.request_redraw()

    def request_redraw(self) -> None:
        """Marks the data as moved; the chart redraws when due (never more than every
        :data:`REDRAW_S`), and only while it is shown."""
        self._dirty = True
        if self._timer is not None or not self._started:
            return
        wait = max(0.02, self._last_draw + REDRAW_S - time.monotonic())
        self._timer = self.set_timer(wait, self._redraw_due)

    def _redraw_due(self) -> None:
        self._timer = None
        if not self._dirty:
            return
        if not self.display or not self.is_on_screen:
            return  # drawn when shown again (on_show)
        self._dirty = False
        self._last_draw = time.monotonic()
        self.plt.clear_figure()
        self.draw()
        self.draws += 1
        self._drawn = None
        self.refresh()

    @property
    def is_on_screen(self) -> bool:
        return self.screen.is_current and self.region.area > 0

    def on_show(self) -> None:
        if self._dirty:
            self.request_redraw()

    def on_mount(self) -> None:
        super().on_mount()
        self._started = True
        self.request_redraw()

    def on_resize(self) -> None:
        self.request_redraw()

    def render(self) -> RenderResult:
        # plotext can fail on odd sizes and data (a log scale of a tiny chart); a chart
        # that cannot be drawn says so instead of taking the app down.
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text(f"{self.title}: too small to draw", style="dim")
        # plotext builds the whole picture on every render: keep it until the data or the
        # size changes (a pane switch or a repaint around the chart costs nothing).
        size = (width, height)
        if self._drawn is not None and self._drawn[0] == size:
            return self._drawn[1]
        try:
            drawn = super().render()
        except Exception as exc:
            drawn = Text(f"{self.title}: cannot be drawn here ({exc})", style="dim")
        self._drawn = (size, drawn)
        return drawn

    def empty(self, message: str) -> None:
        self.plt.title(f"{self.title}: {message}")
        self.plt.xticks([])
        self.plt.yticks([])

    def draw(self) -> None:
        raise NotImplementedError


class LiveOpsChart(RunChart):
    """Ops/s of the benchmark running now (or the last one)."""

    title = "live ops/s"

    def draw(self) -> None:
        view = self.view
        live = view.live if view else None
        if (live is None or not len(live.ticks)) and view is not None:
            live = view.last_ticked
        if live is None or not len(live.ticks):
            self.empty("no benchmark yet")
            return
        xs, ys = live.ticks.for_width(max(10, (self.size.width - 10) // 2))
        plt = self.plt
        plt.plot(xs, ys, marker="braille", color="cyan")
        which = {"tool": "build_and_test", "baseline": f"baseline {live.name}"}.get(
            live.purpose, "benchmark"
        )
        state = "running" if live.running and view is not None and live is view.live else "done"
        iteration = f"iteration {live.iteration} " if live.iteration else ""
        plt.title(f"{iteration}{which} · {state} · now {ops_text(live.last_ops_s)}")
        values, labels = _ticks(min(ys), max(ys))
        plt.yticks(values, labels)
        plt.xlabel("s")


class ThroughputChart(RunChart):
    """Each iteration's throughput, passing and failing apart; the baseline as a line."""

    title = "throughput per iteration"

    def draw(self) -> None:
        view = self.view
        done = [it for it in view.iterations() if it.state == "done"] if view else []
        if view is None or not done:
            self.empty("no iteration finished yet")
            return
        plt = self.plt
        passed = [it for it in done if it.verdict == "pass"]
        failed = [it for it in done if it.verdict != "pass"]
        if passed:
            plt.bar(
                [it.iteration for it in passed],
                [it.throughput_ops_s for it in passed],
                color="green",
                width=0.6,
            )
        if failed:
            plt.bar(
                [it.iteration for it in failed],
                [it.throughput_ops_s for it in failed],
                color="red",
                width=0.6,
            )
        top = max(it.throughput_ops_s for it in done)
        baseline = view.state.baseline_ops_s
        name = view.state.baseline_name
        if baseline:
            plt.hline(baseline, "blue")
            top = max(top, baseline)
        values, labels = _ticks(0.0, top)
        plt.yticks(values, labels)
        plt.xticks([float(it.iteration) for it in done], [str(it.iteration) for it in done])
        best = view.state.best_iteration
        best_text = f"best #{best} {ops_text(view.state.best_ops_s)}" if best else "no best yet"
        line = f" · ── {name} {compact(baseline)}" if baseline and name else " · baseline unknown"
        smaller = any(r.smaller_machine for r in view.bench.values())
        mark = " · measured on a smaller machine than the card" if smaller else ""
        plt.title(f"ops/s per iteration (green pass, red fail) · {best_text}{line}{mark}")


class LatencyChart(RunChart):
    """Latency percentiles of each operation for the selected iteration (log scale)."""

    title = "latency percentiles"

    def draw(self) -> None:
        view = self.view
        if view is None or not view.bench:
            self.empty("no benchmark result yet")
            return
        with_ops = [n for n, r in view.bench.items() if r.ops]
        if not with_ops:
            self.empty("no iteration has per-operation figures yet")
            return
        chosen = self.iteration if self.iteration in with_ops else max(with_ops)
        result = view.bench[chosen]
        note = (
            ""
            if chosen == self.iteration or self.iteration is None
            else (f" ({self.iteration} has none)")
        )
        plt = self.plt
        xs = [float(i) for i in range(1, len(PERCENTILES) + 1)]
        for name, stats in result.ops.items():
            ys = [max(0.01, float(getattr(stats, field))) for _, field in PERCENTILES]
            plt.plot(xs, ys, label=name, marker="braille")
        plt.xticks(xs, [label for label, _ in PERCENTILES])
        plt.yscale("log")
        mark = " · smaller machine than the card" if result.smaller_machine else ""
        plt.title(f"latency µs (log) per operation · iteration {chosen}{note}{mark}")


class MemoryChart(RunChart):
    """Each iteration's peak memory against the store's budget."""

    title = "memory against budget"

    def draw(self) -> None:
        view = self.view
        figures = sorted(view.bench.items()) if view else []
        figures = [(n, r) for n, r in figures if r.memory_peak_bytes or r.memory_budget_bytes]
        if view is None or not figures:
            self.empty("no benchmark result yet")
            return
        plt = self.plt
        xs = [n for n, _ in figures]
        peaks = [r.memory_peak_bytes / MIB for _, r in figures]
        budget = max(r.memory_budget_bytes for _, r in figures) / MIB
        plt.bar(xs, peaks, color="magenta", width=0.6)
        if budget:
            plt.hline(budget, "red")
        plt.xticks([float(n) for n in xs], [str(n) for n in xs])
        top = max(max(peaks), budget)
        values = [top * i / 4 for i in range(5)]
        plt.yticks(values, [f"{v:.0f}" for v in values])
        plt.title(f"peak MiB per iteration · budget {budget:.0f} MiB (red)")


class ChartsPane(Container):
    """The four charts: a 2x2 grid when there is room, else one at a time (``[``/``]``)."""

    BINDINGS: ClassVar[list[BindingType]] = CHART_KEYS.bindings()
    can_focus = True

    shown: reactive[int] = reactive(0)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # What the charts show, kept here too: the dashboard may bind the pane before it
        # is composed (it is built after the first frame).
        self._view: RunView | None = None
        self._iteration: int | None = None

    def compose(self) -> ComposeResult:
        charts: list[RunChart] = [
            LiveOpsChart(id="chart-live", classes="chart"),
            ThroughputChart(id="chart-throughput", classes="chart"),
            LatencyChart(id="chart-latency", classes="chart"),
            MemoryChart(id="chart-memory", classes="chart"),
        ]
        for chart in charts:
            chart.bind(self._view, self._iteration)
        yield from charts

    @property
    def charts(self) -> list[RunChart]:
        return list(self.query(RunChart))

    def bind(self, view: RunView | None, iteration: int | None) -> None:
        self._view, self._iteration = view, iteration
        for chart in self.charts:
            chart.bind(view, iteration)

    def select(self, iteration: int | None) -> None:
        self._iteration = iteration
        for chart in self.charts:
            chart.select(iteration)

    def changed(self, *, live: bool, results: bool) -> None:
        """Data moved: the live chart on ticks, the others on results."""
        for chart in self.charts:
            if (live and isinstance(chart, LiveOpsChart)) or (
                results and not isinstance(chart, LiveOpsChart)
            ):
                chart.request_redraw()

    def watch_shown(self, shown: int) -> None:
        for i, chart in enumerate(self.charts):
            chart.set_class(i == shown, "-shown")
            if i == shown:
                chart.request_redraw()

    def on_mount(self) -> None:
        self.watch_shown(self.shown)

    def action_next_chart(self) -> None:
        self.shown = (self.shown + 1) % 4

    def action_previous_chart(self) -> None:
        self.shown = (self.shown - 1) % 4
