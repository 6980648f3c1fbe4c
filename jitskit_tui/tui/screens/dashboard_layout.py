"""The dashboard's layout and its panes: the status and the iterations on top, the live
chart beside them on a wide terminal, and one pane at a time below (transcript, diff,
charts, gates and audit, logs).

Only what the first frame shows is built with the screen (the status, the iterations, the
transcript): the other panes and the wide layout's live chart, with their modules
(plotext, Pygments), are built once the run's first events are on screen, or at once when
one is asked for. A review opens that much sooner.
"""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Header

from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.run.session import RunSession
from jitskit_tui.tui.screens.run_controls import RunControls
from jitskit_tui.tui.widgets.iterations_table import IterationsTable
from jitskit_tui.tui.widgets.pane_bar import PANES, PaneBar
from jitskit_tui.tui.widgets.status_bar import RunStatusBar, SteeringBar
from jitskit_tui.tui.widgets.transcript_view import TranscriptView

Pane = Literal["transcript", "diff", "charts", "gates", "logs"]
WIDE_WIDTH = 140
BUILD_PANES_AFTER_S = 1.0
"""The latest the hidden panes are built when no event comes to show first."""

_FOCUS = {
    "transcript": "#transcript",
    "diff": "#diff-view",
    "charts": "#charts",
    "gates": "#gate-matrix",
    "logs": "#log-files",
}


class _Panes:
    """The panes built after the first frame (see the module's docstring)."""

    def __init__(self) -> None:
        from jitskit_tui.tui.widgets.charts import ChartsPane, LiveOpsChart
        from jitskit_tui.tui.widgets.diff_pane import DiffPane
        from jitskit_tui.tui.widgets.gates_pane import GatesPane
        from jitskit_tui.tui.widgets.logs_pane import LogsPane

        self.diff = DiffPane(id="diff")
        self.charts = ChartsPane(id="charts")
        self.gates = GatesPane(id="gates")
        self.logs = LogsPane(id="logs")
        self.live = LiveOpsChart(id="top-live-chart", classes="chart")

    def by_name(self) -> dict[str, Widget]:
        return {"diff": self.diff, "charts": self.charts, "gates": self.gates, "logs": self.logs}


class DashboardLayout(RunControls):
    """The dashboard's widgets and which pane shows; what a pane shows is the screen's
    (``_refresh_pane``, ``_pane_note``)."""

    pane: reactive[Pane] = reactive("transcript")

    def __init__(self) -> None:
        super().__init__()
        self._panes: _Panes | None = None
        self._panes_due = False

    def _refresh_pane(self) -> None:
        raise NotImplementedError

    def _pane_note(self) -> str:
        raise NotImplementedError

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The layout's class before the widgets are styled: changed later, it restyles them.
        wide = self.app.size.width >= WIDE_WIDTH
        self._layout_classes(wide)
        yield Header()
        yield RunStatusBar(id="status")
        with Horizontal(id="top"):
            yield IterationsTable(id="iterations")
            top_live = Container(id="top-live")  # the live chart goes in after the first frame
            top_live.display = wide
            yield top_live
        yield PaneBar(id="panes")
        with ContentSwitcher(id="switcher", initial="transcript"):
            yield TranscriptView(id="transcript")
        yield SteeringBar(id="steering")
        yield Footer()

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        wide = width >= WIDE_WIDTH
        self._layout_classes(wide)
        self.query_one("#top-live").display = wide

    def _layout_classes(self, wide: bool) -> None:
        self.set_class(wide, "-wide")
        self.set_class(not wide, "-narrow")

    @property
    def view(self) -> RunView | None:
        return self.session.view if self.session else None

    @property
    def table(self) -> IterationsTable:
        return self.query_one(IterationsTable)

    @property
    def transcript(self) -> TranscriptView:
        return self.query_one(TranscriptView)

    # -- the panes built after the first frame ---------------------------------------------

    def build_panes(self) -> _Panes:
        """The diff, charts, gates and logs panes and the wide live chart: built (and
        mounted, bound to the run shown) on the first call."""
        panes = self._panes
        if panes is not None:
            return panes
        panes = self._panes = _Panes()
        switcher = self.query_one(ContentSwitcher)
        for name, pane in panes.by_name().items():
            pane.display = name == self.pane
        switcher.mount_all(panes.by_name().values())
        self.query_one("#top-live").mount(panes.live)
        if self.pane != "transcript":
            switcher.current = self.pane
        if self.session is not None:
            self._bind_panes(panes, self.session)
            self._refresh_pane()
        return panes

    def _build_panes_soon(self, session: RunSession) -> None:
        """Builds the panes once the run's first events are on screen (after the frame
        that shows them; a long replay goes on loading after)."""
        if self._panes is not None or self._panes_due:
            return
        if session.view.events_applied:
            self._panes_due = True
            self.call_after_refresh(self.build_panes)

    def _bind_panes(self, panes: _Panes, session: RunSession) -> None:
        panes.charts.bind(session.view, None)
        panes.live.bind(session.view, None)
        panes.logs.reload()

    # -- which pane shows ------------------------------------------------------------------

    def watch_pane(self, pane: Pane) -> None:
        if not self.is_mounted:
            return
        if pane != "transcript":
            self.build_panes()
        self.query_one(ContentSwitcher).current = pane
        self.query_one(PaneBar).show_pane(pane, self._pane_note())
        self._refresh_pane()

    def action_pane(self, pane: str) -> None:
        chosen = next((key for key, _ in PANES if key == pane), None)
        if chosen is None:
            return
        self.pane = chosen  # type: ignore[assignment]
        if not self._focus_pane(chosen):
            # Built just now: its widgets are there after this refresh.
            self.call_after_refresh(self._focus_pane, chosen)

    def _focus_pane(self, pane: str) -> bool:
        target = self.query(_FOCUS[pane])
        if target:
            target.first().focus()
        return bool(target)

    @on(TranscriptView.FollowChanged)
    def _follow_changed(self) -> None:
        self.query_one(PaneBar).show_pane(self.pane, self._pane_note())
