"""The dashboard's top row: the iterations table, and beside it on a wide terminal the
live chart of the benchmark running now.

The live chart (plotext) is built with the panes after the first frame
(:meth:`IterationsRow.build_live`); until then its place is an empty column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Container, Horizontal

from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.widgets.iterations_table import IterationsTable

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.live_chart import LiveOpsChart


class IterationsRow(Horizontal):
    """The iterations; the live chart's column shows only on a wide terminal."""

    def __init__(self, *, wide: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self._wide = wide
        self.live: LiveOpsChart | None = None

    def compose(self) -> ComposeResult:
        yield IterationsTable(id="iterations")
        column = Container(id="top-live")
        column.display = self._wide
        yield column

    @property
    def table(self) -> IterationsTable:
        return self.query_one(IterationsTable)

    def set_wide(self, wide: bool) -> None:
        self._wide = wide
        self.query_one("#top-live").display = wide

    def build_live(self, view: RunView | None) -> LiveOpsChart:
        """The live chart, mounted in its column and bound to ``view`` (once)."""
        live = self.live
        if live is None:
            from jitskit_tui.tui.widgets.live_chart import LiveOpsChart

            live = self.live = LiveOpsChart(id="top-live-chart", classes="chart")
            self.query_one("#top-live").mount(live)
            self.bind(view)
        return live

    def bind(self, view: RunView | None) -> None:
        if self.live is not None:
            self.live.bind(view, None)
