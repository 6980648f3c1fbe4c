"""The run's charts pane: the live benchmark, each iteration's throughput with its
interval, latency percentiles and memory; a 2x2 grid when there is room, else one at a
time. The live and throughput charts have their own modules; the base every chart shares
(a bounded redraw rate, downsampled series) is :mod:`run_chart`.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container
from textual.reactive import reactive

from jitskit_tui.tui.keymap import CHART_KEYS
from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.widgets.live_chart import LiveOpsChart
from jitskit_tui.tui.widgets.run_chart import RunChart
from jitskit_tui.tui.widgets.throughput_chart import ThroughputChart

__all__ = [
    "ChartsPane",
    "LatencyChart",
    "LiveOpsChart",
    "MemoryChart",
    "RunChart",
    "ThroughputChart",
]

PERCENTILES = (("p50", "p50_us"), ("p90", "p90_us"), ("p99", "p99_us"), ("p99.9", "p999_us"))
MIB = 1 << 20


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
