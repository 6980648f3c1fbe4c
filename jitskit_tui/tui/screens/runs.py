"""The runs browser: every run under `workspaces/`, newest first, with its card, date,
iterations, best throughput and ratio, and status (a naive run says so). Enter reviews a
run (replayed from its log, read-only) or attaches to it when another process runs it; R
resumes it here; m marks runs and b puts two side by side (:mod:`.beside`), their stores
compared in the background. Sweeps are listed among them (their card column says `sweep
of N cards`); Enter shows a sweep's runs.

The list is read in a thread and refreshed every few seconds while shown, so a run
started elsewhere appears and a live one's numbers move.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from jitskit_tui.engine.runs import RunSummary, summarize
from jitskit_tui.engine.workspace import Workspace, list_workspace_dirs, live_engine
from jitskit_tui.paths import packaged
from jitskit_tui.sweep.board import SweepBoard, SweepView, list_sweep_dirs
from jitskit_tui.sweep.folder import SweepError, SweepFolder
from jitskit_tui.tui.keymap import RUNS_KEYS, KeyArea
from jitskit_tui.tui.messages import OpenRunRequested, OpenSweepRequested, ResumeRequested
from jitskit_tui.tui.run.formatting import DASH, ops_text

if TYPE_CHECKING:
    from jitskit_tui.tui.screens.beside_job import MeasureJob, Measurements

MARK = "● "
MARKS = 2

REFRESH_S = 3.0
_STATUS_STYLE = {
    "live": "bold green",
    "finished": "",
    "stopped": "yellow",
    "aborted": "yellow",
    "failed": "bold red",
    "crashed": "bold red",
    "new": "dim",
}


Listed = RunSummary | SweepView


def _started_of(item: Listed) -> datetime | None:
    return item.started if isinstance(item, RunSummary) else item.manifest.created


def _path_of(item: Listed) -> Path:
    return item.workspace.root if isinstance(item, RunSummary) else item.folder.root


class RunList:
    """The runs (and sweeps) under a folder, each summarized again only when its log
    changed or an engine took or left it, each sweep's runs' logs folded as they grow:
    refreshing the list every few seconds stays cheap however many long runs there are."""

    def __init__(self, base: Path | None) -> None:
        self.base = base
        self._known: dict[Path, tuple[tuple[int, int, bool], RunSummary]] = {}
        self._sweeps: dict[Path, SweepBoard] = {}

    def read(self) -> list[Listed]:
        """Blocking: every run and sweep, newest first."""
        summaries: list[Listed] = []
        seen = set()
        for path in list_workspace_dirs(self.base):
            ws = Workspace(path)
            try:
                stat = ws.events.stat()
            except OSError:
                continue
            key = (stat.st_size, stat.st_mtime_ns, live_engine(ws) is not None)
            known = self._known.get(path)
            if known is None or known[0] != key:
                known = (key, summarize(ws))
                self._known[path] = known
            summaries.append(known[1])
            seen.add(path)
        self._known = {p: v for p, v in self._known.items() if p in seen}
        boards = {}
        for path in list_sweep_dirs(self.base):
            board = self._sweeps.get(path)
            try:
                board = board or SweepBoard(SweepFolder(path))
                summaries.append(board.read())
            except SweepError:
                continue  # a damaged manifest: not listed (its own screen says why)
            boards[path] = board
        self._sweeps = boards
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(summaries, key=lambda r: _started_of(r) or oldest, reverse=True)


def _started(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else DASH


class RunsScreen(Screen[None]):
    CSS_PATH = str(packaged("styles", "dashboard.tcss"))
    BINDINGS = RUNS_KEYS.bindings()
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (RUNS_KEYS,)
    AUTO_FOCUS = "#runs"

    def __init__(self, base: Path | None = None) -> None:
        super().__init__()
        self.base = base
        self.runs: list[Listed] = []
        self._list = RunList(base)
        self.marked: list[Path] = []
        """Runs marked to be put side by side, oldest mark first."""
        self._measurements: Measurements | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="runs-title", classes="pane-title")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static(id="runs-empty", classes="pane-message")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "runs"
        table = self.query_one("#runs", DataTable)
        for name in ("run", "card", "started", "iterations", "best", "ratio", "status"):
            table.add_column(name, key=name)
        self.action_refresh()
        self.set_interval(REFRESH_S, self._refresh_if_shown)

    def _refresh_if_shown(self) -> None:
        if self.is_current:
            self.action_refresh()

    def action_refresh(self) -> None:
        self._load()

    @work(exclusive=True, group="runs", exit_on_error=False)
    async def _load(self) -> None:
        try:
            runs = await asyncio.to_thread(self._list.read)
        except OSError as exc:
            self._show_message(f"The runs cannot be listed: {exc}")
            return
        self._show(runs)

    def _show(self, runs: list[Listed]) -> None:
        table = self.query_one("#runs", DataTable)
        chosen = self.selected
        self.runs = runs
        table.clear()
        for run in runs:
            if isinstance(run, SweepView):
                table.add_row(
                    Text(run.folder.name),
                    Text(f"sweep of {len(run.manifest.entries)} cards", style="italic"),
                    Text(_started(run.manifest.created)),
                    Text(f"{run.completed}/{run.budget}"),
                    Text(DASH),
                    Text(DASH),
                    Text(run.status, style=_STATUS_STYLE.get(run.status, "")),
                    key=str(run.folder.root),
                )
                continue
            best = (
                f"#{run.best_iteration} {ops_text(run.best_ops_s, unit=False)}"
                if run.best_iteration
                else DASH
            )
            marked = run.workspace.root in self.marked
            card = Text(run.spec_name)
            if run.naive:  # in the card's column: seen on a narrow terminal
                card.append(" · naive", style="magenta")
            table.add_row(
                Text(MARK + run.workspace.name if marked else run.workspace.name),
                card,
                Text(_started(run.started)),
                Text(f"{run.completed}/{run.budget}"),
                Text(best),
                Text(run.ratio_words or DASH),
                Text(run.status, style=_STATUS_STYLE.get(run.status, "")),
                key=str(run.workspace.root),
            )
        if chosen is not None:
            names = [_path_of(r) for r in runs]
            if _path_of(chosen) in names:
                table.move_cursor(row=names.index(_path_of(chosen)), animate=False)
        where = self.base or Path("workspaces")
        live = sum(1 for r in runs if r.status == "live")
        sweeps = sum(1 for r in runs if isinstance(r, SweepView))
        singles = len(runs) - sweeps
        roots = {r.workspace.root for r in runs if not isinstance(r, SweepView)}
        self.marked = [m for m in self.marked if m in roots]
        marks = f" · {len(self.marked)} marked (b: side by side)" if self.marked else ""
        self.query_one("#runs-title", Static).update(
            f"Runs in {where}/ · {singles} run{'s' if singles != 1 else ''}"
            + (f" · {sweeps} sweep{'s' if sweeps != 1 else ''}" if sweeps else "")
            + (f" · {live} live" if live else "")
            + marks
        )
        if not runs:
            self._show_message(
                f"No runs in {where}/ yet. Start one from the editor (F3, then Ctrl+R), or "
                "with `jitskit run SPEC --headless` in another terminal."
            )
        else:
            self.query_one("#runs-empty", Static).display = False
            table.display = True

    def _show_message(self, text: str) -> None:
        empty = self.query_one("#runs-empty", Static)
        empty.update(text)
        empty.display = True
        self.query_one("#runs", DataTable).display = False

    @property
    def selected(self) -> Listed | None:
        table = self.query_one("#runs", DataTable)
        row = table.cursor_row
        return self.runs[row] if self.runs and 0 <= row < len(self.runs) else None

    @on(DataTable.RowSelected, "#runs")
    def action_open_run(self) -> None:
        run = self.selected
        if isinstance(run, SweepView):
            self.post_message(OpenSweepRequested(run.folder))
        elif run is not None:
            self.post_message(OpenRunRequested(run.workspace))

    def action_resume_run(self) -> None:
        run = self.selected
        if run is None:
            return
        if isinstance(run, SweepView):
            self.notify(
                f"A sweep runs in a terminal: `jitskit sweep --resume {run.folder.root}` "
                "continues it; Enter shows its runs.",
                markup=False,
            )
            return
        if run.status == "live":
            self.notify(
                f"{run.workspace.name} is live in another process: Enter attaches to it.",
                markup=False,
            )
            return
        self.post_message(ResumeRequested(run.workspace))

    # -- two runs side by side ---------------------------------------------------------------

    def action_mark_run(self) -> None:
        run = self.selected
        if run is None:
            return
        if isinstance(run, SweepView):
            self.notify("A sweep cannot be put beside a run: Enter shows its runs.", markup=False)
            return
        root = run.workspace.root
        if root in self.marked:
            self.marked.remove(root)
        else:
            self.marked = [*self.marked, root][-MARKS:]
        self._show(self.runs)

    def action_beside(self) -> None:
        """The two marked runs; one marked beside the highlighted one; none marked, the
        highlighted one beside the newest run of the other kind of its card."""
        from jitskit_tui.tui.screens.beside import BesideScreen

        selected = self.selected
        marked = list(self.marked)
        if len(marked) < MARKS and selected is not None and not isinstance(selected, SweepView):
            chosen = selected.workspace.root
            marked = marked if chosen in marked else [*marked, chosen]
        if not marked:
            self.notify("No run to put beside another: the list is empty.", markup=False)
            return
        right = Workspace(marked[1]) if len(marked) > 1 else None
        self.app.push_screen(BesideScreen(Workspace(marked[0]), right, self.measurements))

    @property
    def measurements(self) -> Measurements:
        """The comparisons measured from here (made on first use: the evaluator is not
        loaded for the list)."""
        if self._measurements is None:
            from jitskit_tui.tui.screens.beside_job import Measurements

            self._measurements = Measurements(self)
            self._measurements.on_done = self._measured
        return self._measurements

    def _measured(self, job: MeasureJob) -> None:
        self.app.notify(
            job.result_words(),
            title=f"{job.b.ws.name} beside {job.a.ws.name}",
            severity="error" if job.error else "information",
            timeout=12,
            markup=False,
        )
