"""The run dashboard: the loop's state on top, the iterations, and one pane at a time
below (transcript, diff, charts, gates and audit, logs); the live chart beside the
iterations on a wide terminal.

The screen shows one :class:`RunSession` (live in this app, attached to another process,
or replayed). The app folds the session's events in batches and calls
:meth:`DashboardScreen.catch_up`; each part redraws only when its revision moved, and the
panes that are not shown wait until they are.

Only what the first frame shows is built with the screen (the status, the iterations, the
transcript): the other panes and the wide layout's live chart, with their modules
(plotext, Pygments), are built once the run's first events are on screen, or at once when
one is asked for. A review opens that much sooner.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Header

from jitskit_tui.engine.events import RunFinished
from jitskit_tui.paths import packaged
from jitskit_tui.tui.keymap import DIFF_KEYS, ITERATION_KEYS, RUN_KEYS, KeyArea
from jitskit_tui.tui.run.model import Part, RunView
from jitskit_tui.tui.run.session import RunSession
from jitskit_tui.tui.screens.run_controls import RunControls
from jitskit_tui.tui.widgets.iterations_table import IterationsTable
from jitskit_tui.tui.widgets.pane_bar import PANES, PaneBar
from jitskit_tui.tui.widgets.status_bar import RunStatusBar, SteeringBar
from jitskit_tui.tui.widgets.transcript_view import TranscriptView

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.diff_pane import DiffTarget
    from jitskit_tui.tui.widgets.diff_view import DiffView
    from jitskit_tui.tui.widgets.gates_pane import GatesPane

Pane = Literal["transcript", "diff", "charts", "gates", "logs"]
DiffBase = Literal["parent", "best", "marked"]
WIDE_WIDTH = 140
ALERT_RECENT_S = 60.0
"""Events older than this are history (a replay), not news."""
BUILD_PANES_AFTER_S = 1.0
"""The latest the hidden panes are built when no event comes to show first."""

_FOCUS = {
    "transcript": "#transcript",
    "diff": "#diff-view",
    "charts": "#charts",
    "gates": "#gate-matrix",
    "logs": "#log-files",
}


def _offer(session: RunSession) -> tuple[bool, bool, bool]:
    """What decides the keys the footer offers for ``session``."""
    state = session.view.state
    return (session.link.controllable, state.loop_state == "paused", session.link.gone)


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


class DashboardScreen(RunControls):
    CSS_PATH = str(packaged("styles", "dashboard.tcss"))
    BINDINGS = [
        *RUN_KEYS.bindings(),
        *ITERATION_KEYS.bindings(),
        *DIFF_KEYS.bindings(),
    ]
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (RUN_KEYS, ITERATION_KEYS, DIFF_KEYS)
    AUTO_FOCUS = "#iterations"

    pane: reactive[Pane] = reactive("transcript")

    def __init__(self) -> None:
        super().__init__()
        self.session: RunSession | None = None
        self.diff_base: DiffBase = "parent"
        self._seen: dict[Part, int] = {}
        self._alerted = 0
        self._offered: tuple[bool, bool, bool] | None = None
        """What the footer was last built for (``None``: no run)."""
        self._shown: RunSession | None = None
        self._panes: _Panes | None = None
        self._panes_due = False

    # -- layout ---------------------------------------------------------------------------

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

    def on_mount(self) -> None:
        self._apply_layout(self.app.size.width)
        self.query_one(PaneBar).show_pane(self.pane)
        self.set_interval(1.0, self._tick_clock)
        self.set_timer(BUILD_PANES_AFTER_S, self.build_panes)
        if self.session is not None:
            # The footer was composed with this run's keys (the app set it before).
            self._offered = _offer(self.session)
            self.call_after_refresh(self.show_session, self.session)

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

    # -- the panes built after the first frame --------------------------------------------

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

    # -- the session ---------------------------------------------------------------------

    def show_session(self, session: RunSession) -> None:
        """Shows another run (or the same one again), from scratch."""
        self.session = session
        if not self.is_mounted:
            return
        self._shown = session
        self._seen = {}
        self._alerted = len(session.view.alerts)
        self.table.marked = None
        self.diff_base = "parent"
        self.transcript.show(session.view.transcript)
        if self._panes is not None:
            self._bind_panes(self._panes, session)
        self.sub_title = session.name
        self.catch_up()

    def catch_up(self) -> None:
        """Redraws what moved since the last call (the app calls it after each batch)."""
        session = self.session
        if session is None or session is not self._shown:
            return  # show_session comes first
        view = session.view
        moved = {part for part, rev in view.revisions.items() if self._seen.get(part) != rev}
        self._seen = dict(view.revisions)
        self._show_status(session)
        if "iterations" in moved:
            self.table.show_run(view)
        elif "status" in moved:
            self.table.show_state(view)
        if self.pane == "transcript":
            self.transcript.sync()
        panes = self._panes
        if panes is not None and moved & {"live"}:
            panes.live.request_redraw()
        if panes is not None and moved & {"live", "bench", "iterations"}:
            panes.charts.changed(
                live="live" in moved, results=bool(moved & {"bench", "iterations"})
            )
        if moved & {"steering", "status"}:
            self.query_one(SteeringBar).show_pending(
                view.state.pending_steering(), can_edit=session.link.controllable
            )
            self._refresh_keys(session)
        if (
            panes is not None
            and self.pane == "gates"
            and moved & {"gates", "proposals", "iterations"}
        ):
            panes.gates.show_run(view)
        if "iterations" in moved:
            if panes is not None:
                panes.logs.reload()
            self._refresh_pane()
        self._alert(view)
        self._build_panes_soon(session)

    def _alert(self, view: RunView) -> None:
        """Says so when the run ends or fails while it is watched (not for history)."""
        fresh = view.alerts[self._alerted :]
        self._alerted = len(view.alerts)
        for event in fresh:
            if not 0 <= time.time() - event.ts <= ALERT_RECENT_S:
                continue
            if isinstance(event, RunFinished):
                severity: SeverityLevel = "information" if event.status != "failed" else "error"
                self.notify(
                    f"Run {event.status}: {event.reason}",
                    severity=severity,
                    timeout=12,
                    markup=False,
                )
            else:
                step = f" {event.next_step}" if event.next_step else ""
                self.notify(
                    f"{event.where}: {event.message}.{step}",
                    title="The run cannot go on",
                    severity="error",
                    timeout=20,
                    markup=False,
                )

    def _refresh_keys(self, session: RunSession) -> None:
        """The footer offers other keys only when what applies changed (the footer is
        rebuilt on each refresh: not with every batch of events)."""
        offered = _offer(session)
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def _show_status(self, session: RunSession) -> None:
        self.query_one(RunStatusBar).show_run(
            session.view, session.link.describe(), live=session.link.kind != "replay"
        )

    def _tick_clock(self) -> None:
        session = self.session
        if session is None:
            return
        self._refresh_keys(session)  # an attached run's engine may have gone
        if session.view.live_session and session.link.kind != "replay":
            self._show_status(session)

    # -- panes ---------------------------------------------------------------------------

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

    def _pane_note(self) -> str:
        if self.pane == "transcript" and not self.transcript.following:
            return "scrolled up · End follows the tail"
        if self.pane == "charts" and self.has_class("-narrow"):
            shown = self.build_panes().charts.shown
            return f"[ ] chart {shown + 1}/4"
        if self.pane == "diff":
            return {
                "parent": "against parent (b best, m mark)",
                "best": "against best (p parent)",
                "marked": "against the marked iteration (m clears)",
            }[self.diff_base]
        return ""

    @on(TranscriptView.FollowChanged)
    def _follow_changed(self) -> None:
        self.query_one(PaneBar).show_pane(self.pane, self._pane_note())

    def _refresh_pane(self) -> None:
        view = self.view
        session = self.session
        if view is None or session is None:
            return
        selected = self.table.selected
        if self.pane == "transcript":
            self.transcript.sync()
            return
        panes = self.build_panes()
        if self.pane == "diff":
            target = self._diff_target()
            if isinstance(target, str):
                panes.diff.show_message(target)
            else:
                panes.diff.show(session.ws, target)
        elif self.pane == "charts":
            panes.charts.select(selected)
        elif self.pane == "gates":
            panes.gates.show_run(view)
        elif self.pane == "logs":
            it = view.state.iterations.get(selected) if selected is not None else None
            panes.logs.show_iteration(session.ws, selected, it.commit if it is not None else "")

    @on(IterationsTable.Selected)
    def _selected(self) -> None:
        self._refresh_pane()

    # -- the diff's base -----------------------------------------------------------------

    def _diff_target(self) -> DiffTarget | str:
        from jitskit_tui.tui.widgets.diff_pane import DiffTarget

        view = self.view
        n = self.table.selected
        if view is None or n is None:
            return "No iteration yet: each one's diff appears here once it is committed."
        state = view.state
        it = state.iterations[n]
        if it.state != "done" or not it.commit:
            return f"Iteration {n} is not committed yet; its diff appears when it is."
        marked = self.table.marked
        if self.diff_base == "marked" and marked is not None and marked != n:
            other = state.iterations.get(marked)
            if other is not None and other.commit:
                return DiffTarget(n, it.commit, f"iteration {marked} (marked)", other.commit)
        if self.diff_base == "best":
            best = state.best_iteration
            if best is None:
                return "No iteration has passed every gate yet, so there is no best to compare."
            if best == n:
                return f"Iteration {n} is the best; p diffs it against its parent."
            return DiffTarget(
                n, it.commit, f"the best (iteration {best})", state.iterations[best].commit
            )
        parent = it.parent_iteration
        parent_view = state.iterations.get(parent)
        if parent == 0 or parent_view is None or not parent_view.commit:
            return DiffTarget(n, it.commit, "the start of the run", None)
        return DiffTarget(n, it.commit, f"its parent (iteration {parent})", parent_view.commit)

    def action_next_iteration(self) -> None:
        self.table.action_cursor_down()

    def action_previous_iteration(self) -> None:
        self.table.action_cursor_up()

    def action_open_diff(self) -> None:
        self.action_pane("diff")

    def on_gates_pane_proposal_chosen(self, event: GatesPane.ProposalChosen) -> None:
        # By name, not with @on: the gates pane's module is loaded after the first frame.
        self._decide_flow_start(event.proposal_id)

    @on(IterationsTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open_diff()

    def action_diff_base(self, base: str) -> None:
        self.diff_base = "best" if base == "best" else "parent"
        self.pane = "diff"
        self.query_one(PaneBar).show_pane(self.pane, self._pane_note())
        self._refresh_pane()

    def action_mark(self) -> None:
        marked = self.table.toggle_mark()
        view = self.view
        if view is not None:
            self.table.show_run(view)
        self.diff_base = "marked" if marked is not None else "parent"
        if marked is not None:
            self.notify(
                f"Iteration {marked} marked: move to another iteration to diff it against "
                f"{marked} (m on {marked} clears).",
                timeout=4,
            )
        self.query_one(PaneBar).show_pane(self.pane, self._pane_note())
        self._refresh_pane()

    # -- keys that act on the diff, whichever widget has the focus ------------------------

    def _diff_view(self) -> DiffView | None:
        """The diff (shown first if it is not); ``None`` in the moment the pane is being
        built, when there is no diff to act on yet."""
        from jitskit_tui.tui.widgets.diff_view import DiffView

        if self.pane != "diff":
            self.pane = "diff"
        found = self.build_panes().diff.query(DiffView)
        return found.first() if found else None

    def action_toggle_split(self) -> None:
        view = self._diff_view()
        if view is not None:
            view.split = not view.split
            self.build_panes().diff.show_title()

    def action_next_hunk(self) -> None:
        view = self._diff_view()
        if view is not None:
            view.action_next_hunk()

    def action_previous_hunk(self) -> None:
        view = self._diff_view()
        if view is not None:
            view.action_previous_hunk()

    def action_next_file(self) -> None:
        """``]``: the next thing in the pane shown (file, tool call, chart)."""
        if self.pane == "transcript":
            self.transcript.action_next_block()
        elif self.pane == "charts":
            self.build_panes().charts.action_next_chart()
            self.query_one(PaneBar).show_pane(self.pane, self._pane_note())
        elif self.pane == "diff" and (view := self._diff_view()) is not None:
            view.action_next_file()

    def action_previous_file(self) -> None:
        if self.pane == "transcript":
            self.transcript.action_previous_block()
        elif self.pane == "charts":
            self.build_panes().charts.action_previous_chart()
            self.query_one(PaneBar).show_pane(self.pane, self._pane_note())
        elif self.pane == "diff" and (view := self._diff_view()) is not None:
            view.action_previous_file()
