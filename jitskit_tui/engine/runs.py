"""Runs on this machine: what `jitskit runs` lists and the TUI's runs browser shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace, list_workspace_dirs, live_engine

RunStatusText = Literal["live", "finished", "stopped", "aborted", "failed", "crashed", "new"]


@dataclass(frozen=True)
class RunSummary:
    workspace: Workspace
    spec_name: str
    started: datetime | None
    completed: int
    budget: int
    best_iteration: int | None
    best_ops_s: float | None
    best_ratio: float | None
    status: RunStatusText
    reason: str


def run_status(ws: Workspace, state: RunState) -> RunStatusText:
    """`live` when an engine holds the run; otherwise how its last session ended, and
    `crashed` when it ended without saying (kill -9, power cut)."""
    if live_engine(ws) is not None:
        return "live"
    status = state.status
    if status == "running":
        return "crashed"
    return status


def summarize(ws: Workspace) -> RunSummary:
    try:
        state = RunState.from_events(read_events(ws.events))
    except EventLogError:
        state = RunState()
    started = datetime.fromtimestamp(state.sessions[0].started_ts, UTC) if state.sessions else None
    best = state.iterations.get(state.best_iteration) if state.best_iteration else None
    return RunSummary(
        workspace=ws,
        spec_name=state.spec_name or "?",
        started=started,
        completed=state.completed,
        budget=state.iterations_budget,
        best_iteration=state.best_iteration,
        best_ops_s=state.best_ops_s,
        best_ratio=best.ratio if best else None,
        status=run_status(ws, state),
        reason=state.finish_reason,
    )


def list_runs(base: Path | None = None) -> list[RunSummary]:
    """Every run under ``base`` (default `workspaces/`), newest first."""
    runs = [summarize(Workspace(path)) for path in list_workspace_dirs(base)]
    return sorted(runs, key=lambda r: r.started or datetime.min.replace(tzinfo=UTC), reverse=True)
