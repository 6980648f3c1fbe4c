"""The dashboard's pane area: one pane at a time below the iterations (transcript, diff,
charts, gates and audit, logs), each showing the selected iteration of the run shown.

Only the transcript is built with the screen: the other panes, with their modules
(plotext, Pygments, GitPython), are built once the run's first events are on screen, or
at once when one is asked for (:meth:`PaneSwitcher.build`). Whenever the pane shown or
what the pane bar says about it changes, the switcher posts :class:`PaneSwitcher.Shown`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from jitskit_tui.tui.dashboard.diff import DiffBase, DiffChoice
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.run.model import Part
from jitskit_tui.tui.widgets.pane_bar import PANES
from jitskit_tui.tui.widgets.transcript_view import TranscriptView

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.charts import ChartsPane
    from jitskit_tui.tui.widgets.diff_pane import DiffPane
    from jitskit_tui.tui.widgets.gates_pane import GatesPane
    from jitskit_tui.tui.widgets.logs_pane import LogsPane

Pane = Literal["transcript", "diff", "charts", "gates", "logs"]

_FOCUS = {
    "transcript": "#transcript",
    "diff": "#diff-view",
    "charts": "#charts",
    "gates": "#gate-matrix",
    "logs": "#log-files",
}


@dataclass(frozen=True)
class Selection:
    """The iteration selected in the table, and the one marked there (the diff's base)."""

    selected: int | None
    marked: int | None


class BuiltPanes:
    """The panes built after the first frame (see the module's docstring)."""

    def __init__(self) -> None:
        from jitskit_tui.tui.widgets.charts import ChartsPane
        from jitskit_tui.tui.widgets.diff_pane import DiffPane
        from jitskit_tui.tui.widgets.gates_pane import GatesPane
        from jitskit_tui.tui.widgets.logs_pane import LogsPane

        self.diff: DiffPane = DiffPane(id="diff")
        self.charts: ChartsPane = ChartsPane(id="charts")
        self.gates: GatesPane = GatesPane(id="gates")
        self.logs: LogsPane = LogsPane(id="logs")

    def by_name(self) -> dict[str, Widget]:
        return {"diff": self.diff, "charts": self.charts, "gates": self.gates, "logs": self.logs}


class PaneSwitcher(ContentSwitcher):
    """The panes; ``selection`` tells which iteration they show."""

    pane: reactive[Pane] = reactive("transcript", repaint=False)
    current: reactive[str | None] = reactive[str | None](None, init=False, repaint=False)
    """The ContentSwitcher's, without repainting the switcher itself: the panes shown and
    hidden are repainted by the layout that follows."""

    @dataclass
    class Shown(Message):
        """The pane shown, or what the pane bar says about it, changed."""

        pane: Pane
        note: str

    class Built(Message):
        """The panes built after the first frame are there now (the wide layout's live
        chart comes with them)."""

    def __init__(self, selection: Callable[[], Selection], *, id: str | None = None) -> None:
        super().__init__(id=id, initial="transcript")
        self._selection = selection
        self.feed: RunFeed | None = None
        self.built: BuiltPanes | None = None
        self.diff_choice = DiffChoice()

    def compose(self) -> ComposeResult:
        yield TranscriptView(id="transcript")

    @property
    def transcript(self) -> TranscriptView:
        return self.query_one(TranscriptView)

    # -- the run shown -----------------------------------------------------------------------

    def bind(self, feed: RunFeed) -> None:
        """Shows another run (or the same one again), from scratch."""
        self.feed = feed
        self.diff_choice.base = "parent"
        self.transcript.show(feed.view.transcript)
        if self.built is not None:
            self._bind_built(self.built, feed)

    def _bind_built(self, panes: BuiltPanes, feed: RunFeed) -> None:
        panes.charts.bind(feed.view, None)
        panes.logs.reload()

    def catch_up(self, moved: set[Part]) -> None:
        """Redraws what the run's new events moved (the panes not shown wait until they are)."""
        if self.pane == "transcript":
            self.transcript.sync()
        panes, feed = self.built, self.feed
        if panes is not None and moved & {"live", "bench", "iterations"}:
            panes.charts.changed(
                live="live" in moved, results=bool(moved & {"bench", "iterations"})
            )
        gates_moved = moved & {"gates", "proposals", "iterations"}
        if panes is not None and feed is not None and self.pane == "gates" and gates_moved:
            panes.gates.show_run(feed.view)
        if "iterations" in moved:
            if panes is not None:
                panes.logs.reload()
            self.show_selected()

    # -- the panes built after the first frame -----------------------------------------------

    def build(self) -> BuiltPanes:
        """The diff, charts, gates and logs panes: built (and mounted, bound to the run
        shown) on the first call."""
        panes = self.built
        if panes is not None:
            return panes
        panes = self.built = BuiltPanes()
        for name, pane in panes.by_name().items():
            pane.display = name == self.pane
        self.mount_all(panes.by_name().values())
        self.post_message(self.Built())
        if self.pane != "transcript":
            self.current = self.pane
        if self.feed is not None:
            self._bind_built(panes, self.feed)
            self.show_selected()
        return panes

    # -- which pane shows --------------------------------------------------------------------

    def show(self, pane: str) -> None:
        """Shows ``pane`` (by name) and moves the focus into it."""
        chosen = next((key for key, _ in PANES if key == pane), None)
        if chosen is None:
            return
        self.pane = chosen  # type: ignore[assignment]
        if not self._focus(chosen):
            # Built just now: its widgets are there after this refresh.
            self.call_after_refresh(self._focus, chosen)

    def _focus(self, pane: str) -> bool:
        target = self.screen.query(_FOCUS[pane])
        if target:
            target.first().focus()
        return bool(target)

    def watch_pane(self, pane: Pane) -> None:
        if not self.is_mounted:
            return
        if pane != "transcript":
            self.build()
        self.current = pane
        self._said()
        self.show_selected()

    def note(self) -> str:
        """What the pane bar says about the pane shown."""
        if self.pane == "transcript" and not self.transcript.following:
            return "scrolled up · End follows the tail"
        if self.pane == "charts" and self.screen.has_class("-narrow"):
            shown = self.build().charts.shown
            return f"[ ] chart {shown + 1}/4"
        if self.pane == "diff":
            return self.diff_choice.note
        return ""

    def _said(self) -> None:
        self.post_message(self.Shown(self.pane, self.note()))

    @on(TranscriptView.FollowChanged)
    def _follow_changed(self) -> None:
        self._said()

    # -- what the pane shown shows -----------------------------------------------------------

    def show_selected(self) -> None:
        """Shows the selected iteration in the pane shown."""
        feed = self.feed
        if feed is None:
            return
        if self.pane == "transcript":
            self.transcript.sync()
            return
        view = feed.view
        selection = self._selection()
        panes = self.build()
        if self.pane == "diff":
            target = self.diff_choice.target(view.state, selection.selected, selection.marked)
            if isinstance(target, str):
                panes.diff.show_message(target)
            else:
                panes.diff.show(feed.ws, target)
        elif self.pane == "charts":
            panes.charts.select(selection.selected)
        elif self.pane == "gates":
            panes.gates.show_run(view)
        elif self.pane == "logs":
            n = selection.selected
            it = view.state.iterations.get(n) if n is not None else None
            panes.logs.show_iteration(feed.ws, n, it.commit if it is not None else "")

    # -- the diff -----------------------------------------------------------------------------

    def diff_against(self, base: DiffBase, *, show: bool) -> None:
        """Diffs the selected iteration against ``base`` (and shows the diff when ``show``)."""
        self.diff_choice.base = base
        if show and self.pane != "diff":
            self.pane = "diff"  # the watcher shows it
            return
        self._said()
        self.show_selected()

    def diff_pane(self) -> DiffPane | None:
        """The diff pane (shown first if it is not); ``None`` in the moment the pane is
        being built, when there is no diff to act on yet."""
        if self.pane != "diff":
            self.pane = "diff"
        diff = self.build().diff
        return diff if diff.ready else None

    def next_item(self, step: int) -> None:
        """``]`` (``step`` 1) and ``[`` (-1): the next thing in the pane shown (tool call,
        chart, file)."""
        if self.pane == "transcript":
            if step > 0:
                self.transcript.action_next_block()
            else:
                self.transcript.action_previous_block()
        elif self.pane == "charts":
            charts = self.build().charts
            if step > 0:
                charts.action_next_chart()
            else:
                charts.action_previous_chart()
            self._said()
        elif self.pane == "diff" and (diff := self.diff_pane()) is not None:
            diff.next_file(step)
