"""Two runs of one card side by side: a naive run beside a pipeline run (or any two):
each one's store, what the naive agent believed of each store beside what the gates
found, cost and time, and the paired comparison of their stores.

The comparison kept in the runs' folders shows at once, with when and where it was
measured; a pair never measured is measured in the background as the screen opens (c
measures again), its progress shown here and its end announced wherever the user is.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from jitskit_tui.engine import beside
from jitskit_tui.engine.beside import BesideError, RunSide
from jitskit_tui.engine.beside_cache import Cached, load
from jitskit_tui.engine.beside_text import (
    claim_rows,
    claims_title,
    comparison_lines,
    failure_lines,
    side_rows,
)
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.paths import packaged
from jitskit_tui.tui.keymap import BESIDE_KEYS, KeyArea
from jitskit_tui.tui.screens.beside_job import MeasureJob, Measurements

POLL_S = 0.25
MEASURE_HINT = "press c"
_VERDICT_STYLE = {"faster": "bold green", "slower": "bold red", "same": "bold yellow"}


class Pair:
    """The two runs as read: ``left`` and ``right`` as asked, ``a`` and ``b`` as compared
    (the naive run's store is A)."""

    def __init__(self, left: RunSide, right: RunSide) -> None:
        self.left, self.right = left, right
        self.a, self.b = beside.orient(left, right)


def read_pair(
    left: Workspace, right: Workspace | None, left_iteration: int | None = None
) -> tuple[Pair, Cached | None]:
    """Blocking: both runs (``right``: the newest of the other kind of ``left``'s card)
    and the comparison kept for them; raises :class:`BesideError` saying what to do."""
    one = beside.read_side(left, left_iteration)
    other = beside.read_side(right if right is not None else beside.counterpart(one))
    beside.check_pair(one, other)
    return Pair(one, other), load(one.ws, other.ws)


class BesideScreen(Screen[None]):
    CSS_PATH = str(packaged("styles", "beside.tcss"))
    BINDINGS = BESIDE_KEYS.bindings()
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (BESIDE_KEYS,)

    def __init__(
        self, left: Workspace, right: Workspace | None, measurements: Measurements
    ) -> None:
        super().__init__()
        self.left_ws, self.right_ws = left, right
        self.measurements = measurements
        self.pair: Pair | None = None
        self.cached: Cached | None = None
        self.problem = ""
        """Why the two runs cannot be put side by side ('' while they can)."""
        self._job: MeasureJob | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="beside-title", classes="pane-title")
        with VerticalScroll(id="beside-body"):
            yield Static("Paired comparison of their stores", classes="beside-heading")
            yield Static(id="beside-comparison")
            yield ProgressBar(id="beside-progress", show_eta=False)
            yield Static(id="beside-step")
            yield Static(id="beside-table")
            yield Static(id="beside-claims")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "side by side"
        title = f"{self.left_ws.name} beside {self.right_ws.name if self.right_ws else '…'}"
        self.query_one("#beside-title", Static).update(Text(title))
        self.query_one("#beside-progress", ProgressBar).display = False
        self._load()
        self.set_interval(POLL_S, self._poll)

    @work(exclusive=True, group="beside-read", exit_on_error=False)
    async def _load(self) -> None:
        try:
            pair, cached = await asyncio.to_thread(read_pair, self.left_ws, self.right_ws)
        except BesideError as exc:
            self.problem = str(exc)
            body = Text(f"These runs cannot be put side by side: {exc}", style="bold red")
            self.query_one("#beside-table", Static).update(body)
            return
        self.pair, self.cached = pair, cached
        self._show_sides(pair)
        self._job = self.measurements.job_for(pair.a, pair.b)
        if self._job is None and cached is None and not beside.why_not_measured(pair.a, pair.b):
            self._start()
        self._show_comparison()

    def _show_sides(self, pair: Pair) -> None:
        left, right = pair.left, pair.right
        self.query_one("#beside-title", Static).update(
            Text(f"{left.ws.name} beside {right.ws.name} · card {left.spec.name}")
        )
        table = Table(box=None, expand=True, pad_edge=False, header_style="bold")
        table.add_column("", style="dim", no_wrap=True, width=14)
        table.add_column(left.ws.name, ratio=1)
        table.add_column(right.ws.name, ratio=1)
        for what, one, other in side_rows(left, right):
            table.add_row(what, _styled(what, one), _styled(what, other))
        self.query_one("#beside-table", Static).update(table)
        parts: list[Table | Text] = []
        for side in (left, right):
            rows = claim_rows(side)
            if rows:
                claims = Table(
                    box=None,
                    expand=True,
                    pad_edge=False,
                    title=claims_title(side),
                    title_justify="left",
                    title_style="bold",
                )
                claims.add_column(no_wrap=True, width=4)
                claims.add_column(ratio=2)
                claims.add_column(ratio=3)
                for number, believed, found in rows:
                    style = "green" if found.startswith("found: every gate passed") else "red"
                    claims.add_row(number, believed, Text(found, style=style))
                parts.append(claims)
            failures = failure_lines(side)
            if failures:
                parts.append(Text("\n".join(failures)))
        shown = self.query_one("#beside-claims", Static)
        shown.update(Group(*parts))
        shown.display = bool(parts)

    def _show_comparison(self) -> None:
        pair, job = self.pair, self._job
        if pair is None:
            return
        progress = self.query_one("#beside-progress", ProgressBar)
        step = self.query_one("#beside-step", Static)
        measuring = job is not None and not job.done
        progress.display = measuring
        if job is not None and measuring:
            progress.update(total=2 * job.rounds_max, progress=job.trials)
            step.update(Text(job.status()))
            if self.cached is None:
                text = Text(
                    f"measuring {pair.b.label} beside {pair.a.label}: both stores built, "
                    "gated and run as interleaved trials, paired round by round"
                )
                self.query_one("#beside-comparison", Static).update(text)
                return
        else:
            step.update(Text(f"error: {job.error}", style="bold red") if job and job.error else "")
        lines = comparison_lines(pair.a, pair.b, self.cached, MEASURE_HINT)
        text = Text("\n".join(lines))
        measurement = self.cached.measurement if self.cached else None
        comparison = measurement.comparison if measurement else None
        if comparison is not None and measurement is not None and not measurement.failures:
            text.stylize(_VERDICT_STYLE[comparison.verdict], 0, len(lines[0]))
        self.query_one("#beside-comparison", Static).update(text)

    def _poll(self) -> None:
        job = self._job
        if job is None or self.pair is None:
            return
        if job.done and job.cached is not None:
            self.cached = job.cached
        self._show_comparison()
        if job.done:
            self._job = None if job.error == "" else job

    def _start(self) -> None:
        assert self.pair is not None
        try:
            self._job = self.measurements.start(self.pair.a, self.pair.b)
        except BesideError as exc:
            self.notify(str(exc), severity="warning", timeout=8, markup=False)

    def action_compare(self) -> None:
        pair = self.pair
        if pair is None:
            self.notify(self.problem or "Still reading the runs…", markup=False)
            return
        blocked = beside.why_not_measured(pair.a, pair.b)
        if blocked:
            self.notify(f"Not measured: {blocked}", severity="warning", timeout=12, markup=False)
            return
        if self._job is not None and not self._job.done:
            self.notify("Already measuring these two: see its progress below.", markup=False)
            return
        self._start()
        self._show_comparison()

    def action_back(self) -> None:
        self.dismiss()


def _styled(what: str, value: str) -> Text:
    if what == "in its run":
        style = "green" if value.startswith("pass") else "red" if value.startswith("fail") else ""
        return Text(value, style=style)
    if what == "kind" and value.startswith("naive"):
        return Text(value, style="magenta")
    return Text(value)
