"""The run dashboard: the loop's state on top, the run's headline and the selected
iteration's figures under it, the iterations (with the live chart beside them on a wide
terminal), and one pane at a time below (transcript, diff, charts, gates and audit, logs).

The screen composes the parts and routes each key to the part that acts on it: the run's
controls to :class:`RunController`, the panes and the diff to :class:`PaneSwitcher`, the
iterations to the table. It shows one :class:`RunFeed` (live in this app, attached to
another process, or replayed). The app folds the feed's events in batches and calls
:meth:`DashboardScreen.catch_up`; each part redraws only when its revision moved.

Only what the first frame shows is built with the screen (the status, the iterations,
the transcript): the other panes and the wide layout's live chart are built once the
run's first events are on screen, or at once when one is asked for. A review opens that
much sooner.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header
from textual.worker import Worker, WorkerState

from jitskit_tui.paths import packaged
from jitskit_tui.protocol.events import BestFellBack, HeadlineMeasured, RunFinished
from jitskit_tui.protocol.texts import TIMES, fallback_text, headline_text
from jitskit_tui.tui.dashboard.controller import RunController
from jitskit_tui.tui.dashboard.iterations import IterationsRow
from jitskit_tui.tui.dashboard.panes import PaneSwitcher, Selection
from jitskit_tui.tui.keymap import DIFF_KEYS, ITERATION_KEYS, RUN_KEYS, KeyArea
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.run.model import Part, RunView
from jitskit_tui.tui.widgets.iterations_table import IterationsTable
from jitskit_tui.tui.widgets.key_footer import KeyFooter
from jitskit_tui.tui.widgets.pane_bar import PaneBar
from jitskit_tui.tui.widgets.run_summary import RunSummary
from jitskit_tui.tui.widgets.status_bar import RunStatusBar, SteeringBar
from jitskit_tui.tui.widgets.transcript_view import TranscriptView

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.gates_pane import GatesPane

WIDE_WIDTH = 140
BUILD_PANES_AFTER_S = 1.0
"""The latest the hidden panes are built when no event comes to show first."""
ALERT_RECENT_S = 60.0
"""Events older than this are history (a replay), not news."""


def _offer(feed: RunFeed) -> tuple[bool, bool, bool]:
    """What decides the keys the footer offers for ``feed``."""
    state = feed.view.state
    return (feed.link.controllable, state.loop_state == "paused", feed.link.gone)


class DashboardScreen(Screen[None]):
    CSS_PATH = str(packaged("styles", "dashboard.tcss"))
    BINDINGS = [
        *RUN_KEYS.bindings(),
        *ITERATION_KEYS.bindings(),
        *DIFF_KEYS.bindings(),
    ]
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (RUN_KEYS, ITERATION_KEYS, DIFF_KEYS)
    AUTO_FOCUS = "#iterations"

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """Textual's, without the repaint of the whole screen it does when the focus moves
    (every pane switch): the widgets whose look depends on the focus restyle themselves."""

    def __init__(self) -> None:
        super().__init__()
        self.feed: RunFeed | None = None
        self.controls = RunController(self, lambda: self.table.selected)
        self._seen: dict[Part, int] = {}
        self._alerted = 0
        self._offered: tuple[bool, bool, bool] | None = None
        """What the footer was last built for (``None``: no run)."""
        self._shown: RunFeed | None = None
        self._panes_due = False
        self._ref = ""
        """How the run shown is named on a command line (`jitskit confirm REF`)."""

    # -- the parts ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The layout's class before the widgets are styled: changed later, it restyles them.
        wide = self.app.size.width >= WIDE_WIDTH
        self._layout_classes(wide)
        yield Header()
        yield RunStatusBar(id="status")
        yield RunSummary(id="summary")
        yield IterationsRow(wide=wide, id="top")
        yield PaneBar(id="panes")
        yield PaneSwitcher(self._selection, id="switcher")
        yield SteeringBar(id="steering")
        yield KeyFooter()

    @property
    def top(self) -> IterationsRow:
        return self.query_one(IterationsRow)

    @property
    def table(self) -> IterationsTable:
        return self.query_one(IterationsTable)

    @property
    def panes(self) -> PaneSwitcher:
        return self.query_one(PaneSwitcher)

    @property
    def transcript(self) -> TranscriptView:
        return self.panes.transcript

    @property
    def view(self) -> RunView | None:
        return self.feed.view if self.feed else None

    def _selection(self) -> Selection:
        table = self.table
        return Selection(table.selected, table.marked)

    def on_mount(self) -> None:
        self._apply_layout(self.app.size.width)
        self._show_pane_bar()
        self.set_interval(1.0, self._tick_clock)
        self.set_timer(BUILD_PANES_AFTER_S, self.build_panes)
        if self.feed is not None:
            # The footer was composed with this run's keys (the app set it before).
            self._offered = _offer(self.feed)
            self.call_after_refresh(self.show_feed, self.feed)

    # -- layout --------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        wide = width >= WIDE_WIDTH
        self._layout_classes(wide)
        self.top.set_wide(wide)

    def _layout_classes(self, wide: bool) -> None:
        self.set_class(wide, "-wide")
        self.set_class(not wide, "-narrow")

    def build_panes(self) -> None:
        """The diff, charts, gates and logs panes and the wide live chart: built (and
        mounted, bound to the run shown) on the first call."""
        self.panes.build()
        self.top.build_live(self.view)

    def _build_panes_soon(self, feed: RunFeed) -> None:
        """Builds the panes once the run's first events are on screen (after the frame
        that shows them; a long replay goes on loading after)."""
        if self.panes.built is not None or self._panes_due:
            return
        if feed.view.events_applied:
            self._panes_due = True
            self.call_after_refresh(self.build_panes)

    # -- the run shown -------------------------------------------------------------------------

    def show_feed(self, feed: RunFeed) -> None:
        """Shows another run (or the same one again), from scratch."""
        self.feed = feed
        self.controls.feed = feed
        if not self.is_mounted:
            return
        self._shown = feed
        self._seen = {}
        self._alerted = len(feed.view.alerts)
        self._ref = feed.ws.ref
        self.table.marked = None
        self.panes.bind(feed)
        self.top.bind(feed.view)
        self.sub_title = feed.name
        self.catch_up()

    def catch_up(self) -> None:
        """Redraws what moved since the last call (the app calls it after each batch)."""
        feed = self.feed
        if feed is None or feed is not self._shown:
            return  # show_feed comes first
        view = feed.view
        moved = {part for part, rev in view.revisions.items() if self._seen.get(part) != rev}
        self._seen = dict(view.revisions)
        self._show_status(feed)
        if "iterations" in moved:
            self.table.show_run(view)
        elif "status" in moved:
            self.table.show_state(view)
        if moved & {"status", "iterations", "bench", "live"}:
            self._show_summary()
        live = self.top.live
        if live is not None and "live" in moved:
            live.request_redraw()
        if moved & {"steering", "status"}:
            self.query_one(SteeringBar).show_pending(
                view.state.pending_steering(), can_edit=feed.link.controllable
            )
            self._refresh_keys(feed)
        self.panes.catch_up(moved)
        self._alert(view)
        self._build_panes_soon(feed)

    def _show_summary(self) -> None:
        feed = self.feed
        if feed is None:
            return
        # A run outside workspaces/ is named by its folder, which the header shows.
        run = self._ref if "/" not in self._ref else "RUN_FOLDER"
        how = "H measures it" if feed.link.controllable else f"`jitskit confirm {run}` measures it"
        self.query_one(RunSummary).show_run(feed.view, self.table.selected, how)

    def _alert(self, view: RunView) -> None:
        """Says so when the run ends or fails, the best falls back or a headline is
        measured while it is watched (not for history)."""
        fresh = view.alerts[self._alerted :]
        self._alerted = len(view.alerts)
        for event in fresh:
            if not 0 <= time.time() - event.ts <= ALERT_RECENT_S:
                continue
            if isinstance(event, BestFellBack):
                self.notify(
                    fallback_text(
                        event.from_iteration, event.to_iteration, event.reason, event.skipped
                    ),
                    title="The best fell back",
                    severity="warning",
                    timeout=20,
                    markup=False,
                )
            elif isinstance(event, HeadlineMeasured):
                self.notify(
                    f"Headline of #{event.best_iteration}: {headline_text(event, TIMES)}",
                    timeout=12,
                    markup=False,
                )
            elif isinstance(event, RunFinished):
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

    def _refresh_keys(self, feed: RunFeed) -> None:
        """The footer offers other keys only when what applies changed (the footer is
        rebuilt on each refresh: not with every batch of events)."""
        offered = _offer(feed)
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def _show_status(self, feed: RunFeed) -> None:
        self.query_one(RunStatusBar).show_run(
            feed.view, feed.link.describe(), live=feed.link.kind != "replay"
        )

    def _tick_clock(self) -> None:
        feed = self.feed
        if feed is None:
            return
        self._refresh_keys(feed)  # an attached run's engine may have gone
        if feed.view.live_session and feed.link.kind != "replay":
            self._show_status(feed)

    # -- the parts' messages -------------------------------------------------------------------

    def _show_pane_bar(self) -> None:
        panes = self.panes
        self.query_one(PaneBar).show_pane(panes.pane, panes.note())

    @on(PaneSwitcher.Shown)
    def _pane_shown(self) -> None:
        self._show_pane_bar()

    @on(PaneSwitcher.Built)
    def _panes_built(self) -> None:
        self.top.build_live(self.view)

    @on(IterationsTable.Selected)
    def _iteration_selected(self) -> None:
        self.panes.show_selected()
        self._show_summary()

    @on(IterationsTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open_diff()

    def on_gates_pane_proposal_chosen(self, event: GatesPane.ProposalChosen) -> None:
        # By name, not with @on: the gates pane's module is loaded after the first frame.
        self.controls.decide(event.proposal_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and worker.error is not None:
            self.notify(
                f"{worker.group or 'action'} failed: {worker.error!r}",
                severity="error",
                timeout=12,
                markup=False,
            )

    # -- keys: what applies --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.controls.allows(action)

    # -- keys: the run's controls (controller.py) ---------------------------------------------

    def action_steer(self) -> None:
        self.controls.steer()

    def action_pending_steering(self) -> None:
        self.controls.pending_steering()

    def action_pause(self) -> None:
        self.controls.pause()

    def action_resume(self) -> None:
        self.controls.resume()

    def action_stop(self) -> None:
        self.controls.stop()

    def action_abort(self) -> None:
        self.controls.abort()

    def action_fork(self) -> None:
        self.controls.fork()

    def action_audit(self) -> None:
        self.controls.audit()

    def action_baselines(self) -> None:
        self.controls.baselines()

    def action_confirm(self) -> None:
        self.controls.confirm()

    def action_cost(self) -> None:
        self.controls.cost()

    def action_resume_run(self) -> None:
        self.controls.resume_run()

    def action_approve(self) -> None:
        self.controls.decide()

    def action_reject(self) -> None:
        self.controls.decide()

    # -- keys: the panes and the diff (panes.py) ----------------------------------------------

    def action_pane(self, pane: str) -> None:
        self.panes.show(pane)

    def action_open_diff(self) -> None:
        self.panes.show("diff")

    def action_diff_base(self, base: str) -> None:
        self.panes.diff_against("best" if base == "best" else "parent", show=True)

    def action_toggle_split(self) -> None:
        diff = self.panes.diff_pane()
        if diff is not None:
            diff.toggle_split()

    def action_next_hunk(self) -> None:
        diff = self.panes.diff_pane()
        if diff is not None:
            diff.next_hunk(1)

    def action_previous_hunk(self) -> None:
        diff = self.panes.diff_pane()
        if diff is not None:
            diff.next_hunk(-1)

    def action_next_file(self) -> None:
        """``]``: the next thing in the pane shown (file, tool call, chart)."""
        self.panes.next_item(1)

    def action_previous_file(self) -> None:
        self.panes.next_item(-1)

    # -- keys: the iterations ------------------------------------------------------------------

    def action_next_iteration(self) -> None:
        self.table.action_cursor_down()

    def action_previous_iteration(self) -> None:
        self.table.action_cursor_up()

    def action_mark(self) -> None:
        """Marks the selected iteration as the diff's base (or clears the mark)."""
        marked = self.table.toggle_mark()
        view = self.view
        if view is not None:
            self.table.show_run(view)
        if marked is not None:
            self.notify(
                f"Iteration {marked} marked: move to another iteration to diff it against "
                f"{marked} (m on {marked} clears).",
                timeout=4,
            )
        self.panes.diff_against("marked" if marked is not None else "parent", show=False)
