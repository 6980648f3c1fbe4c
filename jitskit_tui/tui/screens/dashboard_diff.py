"""The dashboard's diff: the selected iteration against its parent, the best or the marked
iteration, moving between iterations, and the keys that act on the diff whichever widget
has the focus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual import on

from jitskit_tui.tui.screens.dashboard_layout import DashboardLayout
from jitskit_tui.tui.widgets.iterations_table import IterationsTable
from jitskit_tui.tui.widgets.pane_bar import PaneBar

if TYPE_CHECKING:
    from jitskit_tui.tui.widgets.diff_pane import DiffTarget
    from jitskit_tui.tui.widgets.diff_view import DiffView

DiffBase = Literal["parent", "best", "marked"]


class DiffControls(DashboardLayout):
    """Which iteration is selected and what its diff is against."""

    def __init__(self) -> None:
        super().__init__()
        self.diff_base: DiffBase = "parent"

    # -- the iterations --------------------------------------------------------------------

    def action_next_iteration(self) -> None:
        self.table.action_cursor_down()

    def action_previous_iteration(self) -> None:
        self.table.action_cursor_up()

    @on(IterationsTable.Selected)
    def _selected(self) -> None:
        self._refresh_pane()

    def action_open_diff(self) -> None:
        self.action_pane("diff")

    @on(IterationsTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open_diff()

    # -- the diff's base -------------------------------------------------------------------

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

    # -- keys that act on the diff, whichever widget has the focus -------------------------

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
