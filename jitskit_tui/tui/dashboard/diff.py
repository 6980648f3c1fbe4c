"""What the diff pane compares: the selected iteration against its parent, the best, or
the iteration marked in the table.

The choice lives here, not in the pane: the pane is built after the dashboard's first
frame, while the base can be chosen (``m`` marks an iteration) before it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from jitskit_tui.engine.state import RunState
    from jitskit_tui.tui.widgets.diff_pane import DiffTarget

DiffBase = Literal["parent", "best", "marked"]

_NOTES: dict[DiffBase, str] = {
    "parent": "against parent (b best, m mark)",
    "best": "against best (p parent)",
    "marked": "against the marked iteration (m clears)",
}


@dataclass
class DiffChoice:
    """The diff's base; :meth:`target` says what that means for the selected iteration."""

    base: DiffBase = "parent"

    @property
    def note(self) -> str:
        """What the pane bar says while the diff is shown."""
        return _NOTES[self.base]

    def target(self, state: RunState, selected: int | None, marked: int | None) -> DiffTarget | str:
        """The two commits to compare, or why there is no diff to show."""
        from jitskit_tui.tui.widgets.diff_pane import DiffTarget

        n = selected
        if n is None:
            return "No iteration yet: each one's diff appears here once it is committed."
        it = state.iterations[n]
        if it.state != "done" or not it.commit:
            return f"Iteration {n} is not committed yet; its diff appears when it is."
        if self.base == "marked" and marked is not None and marked != n:
            other = state.iterations.get(marked)
            if other is not None and other.commit:
                return DiffTarget(n, it.commit, f"iteration {marked} (marked)", other.commit)
        if self.base == "best":
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
