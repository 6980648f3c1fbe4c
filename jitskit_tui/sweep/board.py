"""A sweep as a table of its runs, kept current from their logs: what the sweep dashboard
shows, each run's best ratio with its interval and its headline once measured.

Each run's log is folded incrementally (only what was appended since the last read), so
reading the board every second costs little however long the runs get.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.engine.eventlog import decode_lines
from jitskit_tui.engine.runs import RunStatusText, best_ratio_words, headline_words, run_status
from jitskit_tui.engine.state import CostTotals, RunState
from jitskit_tui.engine.workspace import LockInfo, Workspace
from jitskit_tui.paths import workspaces_root
from jitskit_tui.sweep.folder import SweepFolder, is_sweep
from jitskit_tui.sweep.log import SweepState, read_sweep_events
from jitskit_tui.sweep.manifest import SweepEntry, SweepManifest, load_manifest

RowStatus = RunStatusText | str


@dataclass(frozen=True)
class SweepRow:
    """One card of the sweep and where its run is."""

    index: int
    entry: SweepEntry
    ws: Workspace
    status: RowStatus
    """``live``, how its last stint ended (``finished``, ``stopped``, ...), ``waiting``
    (not started, the sweep is live) or ``not started``."""
    doing: str
    """What it does now in words: ``benchmarking``, ``queued on bench, 1 job ahead``, or
    its status."""
    completed: int = 0
    budget: int = 0
    current_iteration: int | None = None
    best_iteration: int | None = None
    best_ops_s: float | None = None
    best_ratio: str = ""
    """The best's in-loop ratio with its interval: ``1.84x [1.71-1.98] vs tbb-chm``
    (:func:`~jitskit_tui.engine.runs.best_ratio_words`); empty when unknown."""
    headline: str = ""
    """The run's headline in words, once measured (``2.21x [2.05-2.38] vs tbb-chm``)."""
    cost: CostTotals = field(default_factory=CostTotals)
    note: str = ""
    """Why it could not start, when it could not."""

    @property
    def iteration_words(self) -> str:
        now = f"#{self.current_iteration} · " if self.current_iteration is not None else ""
        return f"{now}{self.completed}/{self.budget or '?'}"


@dataclass(frozen=True)
class SweepView:
    folder: SweepFolder
    manifest: SweepManifest
    sweep: SweepState
    live: LockInfo | None
    rows: list[SweepRow]

    @property
    def completed(self) -> int:
        return sum(row.completed for row in self.rows)

    @property
    def budget(self) -> int:
        return sum(row.budget or self.manifest.iterations or 0 for row in self.rows)

    @property
    def status(self) -> str:
        """``live``, how its last stint ended, ``crashed`` (killed), or ``new``."""
        if self.live is not None:
            return "live"
        if self.sweep.status is not None:
            return self.sweep.status
        return "crashed" if self.sweep.running else "new"


def list_sweep_dirs(base: Path | None = None) -> list[Path]:
    """The sweeps directly under ``base`` (default `workspaces/`)."""
    where = base or workspaces_root()
    if not where.is_dir():
        return []
    return sorted(p for p in where.iterdir() if is_sweep(p))


class _Follower:
    """One run's log, folded as it grows."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.state = RunState()
        self.offset = 0
        self.line = 0
        self.size = -1

    def catch_up(self) -> bool:
        """Folds what was appended since the last call; whether the log exists."""
        try:
            size = self.ws.events.stat().st_size
        except OSError:
            return False
        if size < self.offset:  # replaced (not by jitskit): read it again from the start
            self.state, self.offset, self.line = RunState(), 0, 0
        if size != self.offset:
            with self.ws.events.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read(size - self.offset)
            complete = chunk[: chunk.rfind(b"\n") + 1]
            lines = complete.splitlines()
            for event in decode_lines(lines, self.line + 1):
                self.state.apply(event)
            self.offset += len(complete)
            self.line += len(lines)
        return True


def _doing(status: RowStatus, state: RunState) -> str:
    if status != "live":
        return str(status)
    if state.loop_state in ("queued", "paused") and state.loop_detail:
        return f"{state.loop_state} {state.loop_detail}"
    return state.loop_state


class SweepBoard:
    """Reads a sweep's manifest once and its runs' logs as they grow."""

    def __init__(self, folder: SweepFolder) -> None:
        self.folder = folder
        self.manifest = load_manifest(folder)
        self._followers = [
            _Follower(Workspace(folder.root / entry.workspace)) for entry in self.manifest.entries
        ]

    def read(self) -> SweepView:
        """Blocking: the sweep now."""
        sweep = SweepState.from_events(read_sweep_events(self.folder.events))
        live = self.folder.live()
        rows = []
        for index, (entry, follower) in enumerate(
            zip(self.manifest.entries, self._followers, strict=True)
        ):
            rows.append(self._row(index, entry, follower, sweep, live is not None))
        return SweepView(self.folder, self.manifest, sweep, live, rows)

    def _row(
        self, index: int, entry: SweepEntry, follower: _Follower, sweep: SweepState, live: bool
    ) -> SweepRow:
        note = sweep.not_launched.get(index, "")
        if not follower.catch_up():
            status = "waiting" if live else "not started"
            return SweepRow(index, entry, follower.ws, status, status, note=note)
        state = follower.state
        status = run_status(follower.ws, state)
        running = state.running_iteration() if status == "live" else None
        return SweepRow(
            index,
            entry,
            follower.ws,
            status,
            _doing(status, state),
            completed=state.completed,
            budget=state.iterations_budget,
            current_iteration=running.iteration if running else None,
            best_iteration=state.best_iteration,
            best_ops_s=state.best_ops_s,
            best_ratio=best_ratio_words(state),
            headline=headline_words(state),
            cost=state.total_cost,
            note=note,
        )
