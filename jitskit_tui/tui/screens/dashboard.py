"""The run dashboard: the loop's state on top, the iterations, and one pane at a time
below (transcript, diff, charts, gates and audit, logs); the live chart beside the
iterations on a wide terminal.

The screen shows one :class:`RunSession` (live in this app, attached to another process,
or replayed). The app folds the session's events in batches and calls
:meth:`DashboardScreen.catch_up`; each part redraws only when its revision moved, and the
panes that are not shown wait until they are. The layout and the panes built after the
first frame are in :mod:`dashboard_layout`; the diff and its keys in :mod:`dashboard_diff`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual.notifications import SeverityLevel

from jitskit_tui.paths import packaged
from jitskit_tui.protocol.events import RunFinished
from jitskit_tui.tui.keymap import DIFF_KEYS, ITERATION_KEYS, RUN_KEYS, KeyArea
from jitskit_tui.tui.run.model import Part, RunView
from jitskit_tui.tui.run.session import RunSession
from jitskit_tui.tui.screens.dashboard_diff import DiffControls
from jitskit_tui.tui.screens.dashboard_layout import BUILD_PANES_AFTER_S
from jitskit_tui.tui.widgets.pane_bar import PaneBar
from jitskit_tui.tui.widgets.status_bar import RunStatusBar, SteeringBar

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.gates_pane import GatesPane

ALERT_RECENT_S = 60.0
"""Events older than this are history (a replay), not news."""


def _offer(session: RunSession) -> tuple[bool, bool, bool]:
    """What decides the keys the footer offers for ``session``."""
    state = session.view.state
    return (session.link.controllable, state.loop_state == "paused", session.link.gone)


class DashboardScreen(DiffControls):
    CSS_PATH = str(packaged("styles", "dashboard.tcss"))
    BINDINGS = [
        *RUN_KEYS.bindings(),
        *ITERATION_KEYS.bindings(),
        *DIFF_KEYS.bindings(),
    ]
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (RUN_KEYS, ITERATION_KEYS, DIFF_KEYS)
    AUTO_FOCUS = "#iterations"

    def __init__(self) -> None:
        super().__init__()
        self.session: RunSession | None = None
        self._seen: dict[Part, int] = {}
        self._alerted = 0
        self._offered: tuple[bool, bool, bool] | None = None
        """What the footer was last built for (``None``: no run)."""
        self._shown: RunSession | None = None

    def on_mount(self) -> None:
        self._apply_layout(self.app.size.width)
        self.query_one(PaneBar).show_pane(self.pane)
        self.set_interval(1.0, self._tick_clock)
        self.set_timer(BUILD_PANES_AFTER_S, self.build_panes)
        if self.session is not None:
            # The footer was composed with this run's keys (the app set it before).
            self._offered = _offer(self.session)
            self.call_after_refresh(self.show_session, self.session)

    # -- the session -----------------------------------------------------------------------

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

    # -- what the pane shown shows ---------------------------------------------------------

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

    def on_gates_pane_proposal_chosen(self, event: GatesPane.ProposalChosen) -> None:
        # By name, not with @on: the gates pane's module is loaded after the first frame.
        self._decide_flow_start(event.proposal_id)
