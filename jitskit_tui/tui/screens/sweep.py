"""The sweep dashboard: a sweep's runs, one row each (card, run, what it does now, the
iteration, its best, the best's ratio to the baseline with its interval, the run's headline
once measured, its cost), read from their logs every second while shown.
Enter opens a run's dashboard; Space pauses or resumes the whole sweep, S stops it, A
aborts it; p pauses or resumes the selected run, s stops it.

The sweep runs in its own process (`jitskit sweep`): controls for the whole sweep go to
its inbox and are answered in its log; controls for one run go to that run's inbox, as
the run dashboard's do when attached.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from jitskit_tui.engine.inbox import NotLive
from jitskit_tui.paths import packaged
from jitskit_tui.protocol.controls import Abort, Control, Pause, Resume, Stop
from jitskit_tui.sweep.board import SweepBoard, SweepRow, SweepView
from jitskit_tui.sweep.control import send_sweep_control, wait_for_sweep_ack
from jitskit_tui.sweep.folder import SweepError, SweepFolder
from jitskit_tui.tui.dashboard.controller import control_source
from jitskit_tui.tui.keymap import SWEEP_KEYS, KeyArea
from jitskit_tui.tui.messages import OpenRunRequested
from jitskit_tui.tui.run.formatting import DASH, ops_text
from jitskit_tui.tui.run.links import AttachedLink

REFRESH_S = 1.0
ACK_TIMEOUT_S = 10.0
_STATE_STYLE = {
    "finished": "",
    "stopped": "yellow",
    "aborted": "yellow",
    "failed": "bold red",
    "crashed": "bold red",
    "waiting": "dim",
    "not started": "dim",
}
_SWEEP_STYLE = {"live": "bold green", "finished": "", "crashed": "bold red", "failed": "bold red"}
SWEEP_ACTIONS = frozenset({"pause_sweep", "resume_sweep", "stop_sweep", "abort_sweep"})
RUN_ACTIONS = frozenset({"pause_run", "resume_run", "stop_run"})


def _row_cells(row: SweepRow) -> list[Text]:
    best = (
        f"#{row.best_iteration} {ops_text(row.best_ops_s, unit=False)}"
        if row.best_iteration
        else DASH
    )
    cost = row.cost.dollars_words if row.cost.spent else DASH
    style = "bold green" if row.status == "live" else _STATE_STYLE.get(str(row.status), "")
    return [
        Text(row.entry.spec_name),
        Text(row.doing, style=style),
        Text(row.iteration_words),
        Text(best),
        Text(row.best_ratio or DASH),
        Text(row.headline or DASH, style="bold" if row.headline else ""),
        Text(cost),
        Text(row.entry.workspace, style="dim"),
    ]


class SweepScreen(Screen[None]):
    CSS_PATH = str(packaged("styles", "dashboard.tcss"))
    BINDINGS = SWEEP_KEYS.bindings()
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (SWEEP_KEYS,)
    AUTO_FOCUS = "#sweep-runs"

    def __init__(self, folder: SweepFolder) -> None:
        super().__init__()
        self.folder = folder
        self.view: SweepView | None = None
        self._board: SweepBoard | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="sweep-title", classes="pane-title")
        yield DataTable(id="sweep-runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="sweep-note", classes="pane-message")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"sweep {self.folder.name}"
        table = self.query_one("#sweep-runs", DataTable)
        for name in ("card", "state", "iteration", "best", "ratio", "headline", "cost", "run"):
            table.add_column(name, key=name)
        self.action_refresh()
        self.set_interval(REFRESH_S, self._refresh_if_shown)

    def show_sweep(self, folder: SweepFolder) -> None:
        """Shows another sweep in this screen."""
        if folder.root.resolve() != self.folder.root.resolve():
            self.folder, self._board, self.view = folder, None, None
            self.sub_title = f"sweep {folder.name}"
            self.query_one("#sweep-runs", DataTable).clear()
        self.action_refresh()

    def _refresh_if_shown(self) -> None:
        if self.is_current:
            self.action_refresh()

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="sweep-board", exit_on_error=False)
    async def _load(self) -> None:
        try:
            if self._board is None:
                self._board = await asyncio.to_thread(SweepBoard, self.folder)
            view = await asyncio.to_thread(self._board.read)
        except (SweepError, OSError) as exc:
            self.query_one("#sweep-note", Static).update(f"The sweep cannot be read: {exc}")
            return
        self._show(view)

    def _show(self, view: SweepView) -> None:
        self.view = view
        table = self.query_one("#sweep-runs", DataTable)
        row_at = table.cursor_row
        table.clear()
        for row in view.rows:
            table.add_row(*_row_cells(row), key=row.entry.workspace)
        if view.rows:
            table.move_cursor(row=min(max(row_at, 0), len(view.rows) - 1), animate=False)
        m = view.manifest
        machine = m.machine or "each card's machine"
        status = view.status + (" (paused)" if view.live and view.sweep.paused else "")
        title = Text.assemble(
            f"Sweep {view.folder.name} · ",
            (status, _SWEEP_STYLE.get(view.status, "yellow")),
            f" · {len(m.entries)} cards, {m.parallel} at a time · {machine}",
        )
        self.query_one("#sweep-title", Static).update(title)
        notes = [f"{r.entry.spec_name}: {r.note}" for r in view.rows if r.note]
        if view.status not in ("live", "finished"):
            notes.append(
                f"Not live: `jitskit sweep --resume {view.folder.root}` continues it in a terminal."
            )
        if view.sweep.reason and view.status != "live":
            notes.insert(0, f"Last stint: {view.sweep.reason}")
        note = self.query_one("#sweep-note", Static)
        note.update("\n".join(notes))
        note.display = bool(notes)
        self.refresh_bindings()

    # -- what applies ------------------------------------------------------------------

    @property
    def selected(self) -> SweepRow | None:
        view = self.view
        row = self.query_one("#sweep-runs", DataTable).cursor_row
        return view.rows[row] if view and 0 <= row < len(view.rows) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action in SWEEP_ACTIONS:
            live = view is not None and view.live is not None
            paused = view is not None and view.sweep.paused
            if action == "pause_sweep":
                return live and not paused
            if action == "resume_sweep":
                return live and paused
            return live
        if action in RUN_ACTIONS:
            row = self.selected
            if row is None or row.status != "live":
                return False
            paused = row.doing.startswith("paused")
            if action == "pause_run":
                return not paused
            if action == "resume_run":
                return paused
        return True

    @on(DataTable.RowHighlighted, "#sweep-runs")
    def _moved(self) -> None:
        self.refresh_bindings()

    # -- actions -----------------------------------------------------------------------

    @on(DataTable.RowSelected, "#sweep-runs")
    def action_open_run(self) -> None:
        row = self.selected
        if row is None:
            return
        if not row.ws.exists():
            self.notify(f"{row.entry.spec_name}: its run has not started yet.", markup=False)
            return
        self.post_message(OpenRunRequested(row.ws))

    def action_pause_sweep(self) -> None:
        self._to_sweep(Pause(source=control_source()))

    def action_resume_sweep(self) -> None:
        self._to_sweep(Resume(source=control_source()))

    def action_stop_sweep(self) -> None:
        self._to_sweep(Stop(source=control_source()))

    def action_abort_sweep(self) -> None:
        self.run_worker(self._abort_when_sure(), group="sweep-control", exit_on_error=False)

    async def _abort_when_sure(self) -> None:
        from jitskit_tui.tui.screens.confirm import ConfirmDialog

        sure = await self.app.push_screen_wait(
            ConfirmDialog(
                f"Abort sweep {self.folder.name}?",
                "Every live run of the sweep is aborted now; what they wrote is kept, and "
                f"`jitskit sweep --resume {self.folder.root}` continues them.",
                "Abort the sweep",
                danger=True,
            )
        )
        if sure:
            await self._send_to_sweep(Abort(source=control_source()))

    def action_pause_run(self) -> None:
        self._to_run(Pause(source=control_source()))

    def action_resume_run(self) -> None:
        self._to_run(Resume(source=control_source()))

    def action_stop_run(self) -> None:
        self._to_run(Stop(source=control_source()))

    def _to_sweep(self, control: Control) -> None:
        self.run_worker(self._send_to_sweep(control), group="sweep-control", exit_on_error=False)

    async def _send_to_sweep(self, control: Control) -> None:
        try:
            offset = await asyncio.to_thread(send_sweep_control, self.folder, control)
        except (NotLive, OSError) as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        ack = await wait_for_sweep_ack(self.folder, control.id, offset, ACK_TIMEOUT_S)
        if ack is None:
            self.notify(
                f"The sweep did not answer within {ACK_TIMEOUT_S:.0f} s; it takes the control "
                "when it gets to it.",
                severity="warning",
                markup=False,
            )
        else:
            refused = "" if ack.accepted else "refused: "
            self.notify(
                f"Sweep: {refused}{ack.message}",
                severity="information" if ack.accepted else "warning",
                markup=False,
            )
        self.action_refresh()

    def _to_run(self, control: Control) -> None:
        row = self.selected
        if row is None:
            return
        self.run_worker(self._send_to_run(row, control), group="sweep-control", exit_on_error=False)

    async def _send_to_run(self, row: SweepRow, control: Control) -> None:
        outcome = await AttachedLink(row.ws).send(control)
        refused = "" if outcome.accepted else f"{control.kind} refused: "
        self.notify(
            f"{row.entry.spec_name}: {refused}{outcome.message}",
            severity="information" if outcome.accepted else "warning",
            markup=False,
        )
        self.action_refresh()
