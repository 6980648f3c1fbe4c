"""The iterations table: one row per iteration, the best starred, the running one live.

The cursor row is the selected iteration (its diff, logs and latency). While the cursor
is on the last row it follows new iterations as they start.

Each row carries its decision (``new best``, ``first``, ``≈ noise``, ``slower``, ``✗ build``)
and its ratios with their 95% intervals: against the best comparable baseline (paired in
its evaluation, else against the run's latest cached figure, labelled ``unpaired``; one
its commit recorded against an earlier measurement is restated, ``~1.23x unpaired`` in
italics) and against the best of its time (paired; ``≈`` within noise). A log from before
decisions shows ``pass`` and the bare change from the parent (``Δprev``) instead. The
columns are as wide as their figures; the summary takes what is left. The table's
tooltip says what the columns and marks mean.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from jitskit_tui.engine.state import IterationView
from jitskit_tui.protocol.texts import APPROX, one_line
from jitskit_tui.tui.run.figures import (
    change_cell,
    decided,
    decision_cell,
    ratio_cell,
    ratio_heading,
)
from jitskit_tui.tui.run.formatting import DASH, ops_text
from jitskit_tui.tui.run.model import RunView

KEYS = ("number", "summary", "decision", "ops", "ratio", "change")
SUMMARY_MIN = 10
RATIO_MAX = 22
"""Wider ratio cells (a ratio in the hundreds) are cut: the summary line has them whole."""
SMALLER_MARK = "†"
BUSY_MARK = "!"
DISQUALIFIED_MARK = "✗"

_DECISION_STYLE = {
    "new best": "bold yellow",
    "first": "yellow",
    "slower": "magenta",
    "pass": "green",
    "error": "bold red",
    "gone": "dim",
}


def _decision(it: IterationView, loop_state: str) -> Text:
    words = decision_cell(it, loop_state)
    if it.state == "running":
        return Text(words, style="italic")
    style = "bold red" if words.startswith("✗") or words == "failed" else ""
    return Text(words, style=_DECISION_STYLE.get(words, style))


def _ratio(text: str, *, restated: bool = False, counts: bool = True) -> Text:
    style = "italic" if restated else ("" if counts else "dim")
    if text.startswith(APPROX):
        style = (style + " dim").strip()
    return Text(text, style=style, justify="right")


def ratio_note(view: RunView) -> str:
    """What the columns are against and what the marks mean, in words (the table's
    tooltip)."""
    notes = [_ratio_words(view)]
    if decided(view):
        notes.append(
            f"vs best: paired against the best of its time, with its 95% interval; {APPROX} "
            "within noise: a win needs the whole interval at or above 1 + min_effect"
        )
    else:
        notes.append("Δprev: the change from the parent's throughput (one run each)")
    state = view.state
    if state.disqualified:
        notes.append(f"{DISQUALIFIED_MARK} after #: an audit gate test failed it after it was best")
    if any(b.conditions_warning for b in view.bench.values()):
        notes.append(f"{BUSY_MARK} the machine was busy during its trials")
    smaller = next((b.smaller_machine for b in view.bench.values() if b.smaller_machine), "")
    if smaller:
        notes.append(f"{SMALLER_MARK} {smaller}")
    return "; ".join(notes)


def _ratio_words(view: RunView) -> str:
    state = view.state
    paired = any(
        it.vs_baseline is not None and it.vs_baseline.paired for it in state.iterations.values()
    )
    if not state.baseline_ops_s and not paired:
        return "ratio: unknown until the baselines are measured (B runs them)"
    note = (
        "ratio: throughput over the best comparable baseline's, paired in the iteration's "
        "evaluation, with its 95% interval"
    )
    if state.baseline_ops_s:
        note += (
            f"; unpaired: over {state.baseline_name or 'the baseline'}'s cached "
            f"{ops_text(state.baseline_ops_s)}, measured at another time"
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
        self._columns: tuple[tuple[str, int], ...] = ()
        self._posted: int | None = None
        self._view: RunView | None = None

    def _fit_columns(self, view: RunView, rows: list[list[Text]]) -> None:
        """Each column as wide as its widest cell; the summary takes what is left."""
        new = decided(view)
        labels = {
            "number": "#",
            "summary": "summary",
            "decision": "decision" if new else "verdict",
            "ops": "ops/s",
            "ratio": ratio_heading(view),
            "change": "vs best" if new else "Δprev",
        }
        widths = {
            key: max([cell_len(labels[key])] + [cell_len(row[i].plain) for row in rows])
            for i, key in enumerate(KEYS)
        }
        widths["number"] = max(widths["number"], 4)
        widths["ratio"] = min(widths["ratio"], RATIO_MAX)
        widths["change"] = min(widths["change"], RATIO_MAX)
        fixed = sum(w for k, w in widths.items() if k != "summary") + 2 * len(KEYS) + 1
        widths["summary"] = max(SUMMARY_MIN, (self.size.width or 80) - fixed)
        columns = tuple((labels[key], widths[key]) for key in KEYS)
        if columns == self._columns:
            return
        self._columns = columns
        self._summary_width = widths["summary"]
        self.clear(columns=True)
        for key, (label, width) in zip(KEYS, columns, strict=True):
            self.add_column(label, key=key, width=width)

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
        new = decided(view)
        rows = [self._cells(view, it, new=new) for it in iterations]
        self._fit_columns(view, rows)
        self.clear()
        self._numbers = [it.iteration for it in iterations]
        self.tooltip = ratio_note(view)
        for it, row in zip(iterations, rows, strict=True):
            row[1] = Text(one_line(row[1].plain, self._summary_width))
            self.add_row(*row, key=str(it.iteration))
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

    def _cells(self, view: RunView, it: IterationView, *, new: bool = True) -> list[Text]:
        state = view.state
        mark = (
            "★"
            if it.is_best
            else "◆"
            if it.iteration == self.marked
            else DISQUALIFIED_MARK
            if it.iteration in state.disqualified
            else " "
        )
        style = "bold yellow" if it.is_best else "red" if mark == DISQUALIFIED_MARK else ""
        number = Text(f"{it.iteration:>3}{mark}", style=style)
        summary = it.summary or it.plan_title or ("…" if it.state == "running" else DASH)
        done = it.state == "done"
        bench = view.bench.get(it.iteration)
        # † marks figures measured on a machine smaller than the card, ! those measured on a
        # busy machine (the tooltip says).
        smaller = SMALLER_MARK if bench is not None and bench.smaller_machine else ""
        busy = BUSY_MARK if bench is not None and bench.conditions_warning else ""
        ops = ops_text(it.throughput_ops_s, unit=False) + smaller + busy
        counts = it.verdict == "pass"
        if not done:
            ratio = change = Text(DASH, justify="right")
        else:
            shown = state.ratio_now(it)
            ratio = _ratio(ratio_cell(shown), restated=shown.restated, counts=counts)
            change = _ratio(change_cell(view, it, new=new), counts=counts)
        return [
            number,
            Text(summary),
            _decision(it, state.loop_state),
            Text(ops if done else DASH, justify="right", style="italic" if smaller else ""),
            ratio,
            change,
        ]

    def show_state(self, view: RunView) -> None:
        """The running iteration's row follows the loop's state (cheaper than a rebuild)."""
        running = view.state.running_iteration()
        if running is None or running.iteration not in self._numbers:
            return
        key = str(running.iteration)
        cells = self._cells(view, running)
        self.update_cell(key, "decision", cells[2])
        self.update_cell(key, "summary", Text(one_line(cells[1].plain, self._summary_width)))

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
