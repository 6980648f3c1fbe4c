"""What every chart of a run shares (plotext through textual-plotext): it redraws at a
bounded rate, only while it is on screen, keeps its picture until its data or its size
change, and says so instead of failing when it cannot be drawn; and the scales' ticks.

Ticks can arrive far faster than a chart is worth redrawing: a chart only notes that its
data moved, and redraws at most every :data:`REDRAW_S` while it is on screen.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.timer import Timer
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from jitskit_tui.tui.run.formatting import compact
from jitskit_tui.tui.run.model import RunView

REDRAW_S = 0.5
MIN_WIDTH, MIN_HEIGHT = 24, 6


def linear_ticks(low: float, high: float, count: int = 4) -> tuple[list[float], list[str]]:
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


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Ticks at 1, 2 and 5 times the powers of ten between ``low`` and ``high`` (both
    above 0), for a log scale; the ends themselves when too few fall between."""
    values = [
        step * 10.0**power
        for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for step in (1, 2, 5)
        if low <= step * 10.0**power <= high
    ]
    for kept in ("15", "1"):  # thinned to 1 and 5, then to the powers of ten
        if len(values) > 5:
            values = [v for v in values if f"{v:.0e}"[0] in kept] or values
    if len(values) < 2:
        values = sorted({low, high, *values})
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


LOG_SPREAD = 4.0
"""Past this ratio between the largest and the smallest figure a chart's y axis is
logarithmic: ratios read as distances, and a slow side still shows beside a fast one."""


def y_scale(plt: Plot, figures: list[float]) -> None:
    """Sets the y scale and its ticks for ``figures`` (log when they spread wide)."""
    positive = [f for f in figures if f > 0]
    if not positive:
        return
    low, high = min(positive), max(positive)
    if high / low > LOG_SPREAD:
        plt.yscale("log")
        values, labels = log_ticks(low, high)
    else:
        values, labels = linear_ticks(low, high)
    plt.yticks(values, labels)
