"""The iterations table: one row per iteration, the best starred, the running one live.

The cursor row is the selected iteration (its diff, logs and latency). While the cursor
is on the last row it follows new iterations as they start.

Every ratio is against the run's latest baseline (:meth:`RunState.ratio_now`), so the
column compares like with like after the baselines are measured again mid-run; a ratio
its commit recorded against an earlier measurement (or without one) is restated, shown
as ``~1.23x`` in italics. The table's tooltip names the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from jitskit_tui.engine.state import IterationView, ShownRatio
from jitskit_tui.protocol.texts import one_line, ratio_text
from jitskit_tui.tui.run.formatting import DASH, change_text, ops_text
from jitskit_tui.tui.run.model import RunView

COLUMNS = (
    ("#", 4),
    ("summary", 0),
    ("verdict", 7),
    ("failed", 11),
    ("ops/s", 7),
    ("ratio", 6),
    ("Δprev", 7),
)
FIXED = sum(width for _, width in COLUMNS) + 2 * len(COLUMNS) + 1
"""Cells of every column but the summary, with their padding and the scrollbar."""


_RUNNING = {
    "planning": "plan",
    "coding": "code",
    "building": "build",
    "gating": "gates",
    "benchmarking": "bench",
    "queued": "queued",
    "critiquing": "critic",
    "auditing": "audit",
    "committing": "commit",
    "paused": "paused",
}


def _verdict(it: IterationView, loop_state: str) -> Text:
    if it.state == "running":
        return Text(f"▸ {_RUNNING.get(loop_state, loop_state)}", style="italic")
    if it.state == "abandoned":
        return Text("gone", style="dim")
    if it.outcome and it.outcome != "evaluated":
        return Text("error", style="bold red")
    return Text("pass", style="green") if it.verdict == "pass" else Text("FAIL", style="bold red")


RATIO_WIDTH = dict(COLUMNS)["ratio"]
SMALLER_MARK = "†"


def _ratio(shown: ShownRatio) -> Text:
    if shown.value is None or not shown.restated:
        return Text(ratio_text(shown.value, DASH), justify="right")
    text = f"~{shown.value:.2f}x"
    for digits in (1, 0):
        if len(text) <= RATIO_WIDTH:
            break
        text = f"~{shown.value:.{digits}f}x"
    return Text(text, style="italic", justify="right")


def ratio_note(view: RunView) -> str:
    """What the ratio column is against, in words (the table's tooltip), and what a †
    after a figure means."""
    smaller = next((b.smaller_machine for b in view.bench.values() if b.smaller_machine), "")
    mark = f"; {SMALLER_MARK} {smaller}" if smaller else ""
    return _ratio_words(view) + mark


def _ratio_words(view: RunView) -> str:
    state = view.state
    if not state.baseline_ops_s:
        return "ratio: unknown until the baselines are measured (B runs them)"
    note = (
        f"ratio: throughput over {state.baseline_name or 'the baseline'} at "
        f"{ops_text(state.baseline_ops_s)}, the run's latest baseline measurement"
    )
    if any(state.ratio_now(it).restated for it in state.iterations.values()):
        note += (
            "; ~ marks a ratio restated against it (its commit has one against an earlier "
            "measurement, or none)"
        )
    return note


class IterationsTable(DataTable[Text]):
    """Rows keyed by iteration number."""

    @dataclass
    class Selected(Message):
        """The cursor moved to another iteration."""

        iteration: int | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.marked: int | None = None
        self._numbers: list[int] = []
        self._summary_width = 0
        self._posted: int | None = None
        self._view: RunView | None = None

    def _fit_columns(self) -> None:
        """The summary takes what the other columns leave."""
        width = max(12, (self.size.width or 80) - FIXED)
        if width == self._summary_width:
            return
        self._summary_width = width
        self.clear(columns=True)
        for name, fixed in COLUMNS:
            self.add_column(name, key=name, width=fixed or width)

    @property
    def selected(self) -> int | None:
        if not self._numbers or not 0 <= self.cursor_row < len(self._numbers):
            return None
        return self._numbers[self.cursor_row]

    def show_run(self, view: RunView) -> None:
        self._view = view
        previous = self.selected
        was_last = not self._numbers or previous == self._numbers[-1]
        iterations = view.iterations()
        self._fit_columns()
        self.clear()
        self._numbers = [it.iteration for it in iterations]
        self.tooltip = ratio_note(view)
        for it in iterations:
            self.add_row(*self._cells(view, it), key=str(it.iteration))
        if not self._numbers:
            self._post(None)
            return
        target = self._numbers[-1] if was_last or previous not in self._numbers else previous
        self.move_cursor(row=self._numbers.index(target), animate=False, scroll=True)
        self._post(target)

    def _post(self, iteration: int | None) -> None:
        if iteration != self._posted:
            self._posted = iteration
            self.post_message(self.Selected(iteration))

    def _cells(self, view: RunView, it: IterationView) -> list[Text]:
        mark = "★" if it.is_best else ("◆" if it.iteration == self.marked else " ")
        number = Text(f"{it.iteration:>3}{mark}", style="bold yellow" if it.is_best else "")
        summary = it.summary or it.plan_title or ("…" if it.state == "running" else DASH)
        done = it.state == "done"
        previous = view.previous_throughput(it)
        bench = view.bench.get(it.iteration)
        # † marks figures measured on a machine smaller than the card (the tooltip says).
        smaller = SMALLER_MARK if bench is not None and bench.smaller_machine else ""
        ops = ops_text(it.throughput_ops_s, unit=False) + smaller
        return [
            number,
            Text(one_line(summary, self._summary_width)),
            _verdict(it, view.state.loop_state),
            Text(",".join(it.failed_gates), style="red"),
            Text(ops if done else DASH, justify="right", style="italic" if smaller else ""),
            _ratio(view.state.ratio_now(it)) if done else Text(DASH, justify="right"),
            Text(change_text(it.throughput_ops_s, previous) if done else DASH, justify="right"),
        ]

    def show_state(self, view: RunView) -> None:
        """The running iteration's row follows the loop's state (cheaper than a rebuild)."""
        running = view.state.running_iteration()
        if running is None or running.iteration not in self._numbers:
            return
        key = str(running.iteration)
        cells = self._cells(view, running)
        self.update_cell(key, "verdict", cells[2])
        self.update_cell(key, "summary", cells[1])

    def on_resize(self) -> None:
        if self._view is not None:
            self.show_run(self._view)

    def watch_cursor_coordinate(
        self, old_coordinate: Coordinate, new_coordinate: Coordinate
    ) -> None:
        super().watch_cursor_coordinate(old_coordinate, new_coordinate)
        self._post(self.selected)

    def toggle_mark(self) -> int | None:
        """Marks the selected iteration as the diff base (or clears the mark)."""
        chosen = self.selected
        self.marked = None if chosen is None or chosen == self.marked else chosen
        return self.marked
