"""Runs on this machine: what `jitskit runs` lists and the TUI's runs browser shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace, list_workspace_dirs, live_engine
from jitskit_tui.protocol.measurement import Comparison
from jitskit_tui.protocol.texts import TIMES, baseline_ratio_text, headline_text

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
    problems: int = 0
    """Events in its log that did not fit (unreadable lines, a finish without a start)."""
    naive: bool = False
    """The naive experiment (its best counts only what passed the gates after the fact)."""
    best_comparison: Comparison | None = None
    """The best's ratio to its baseline as measured beside it (``None``: unpaired or none)."""
    headline: str = ""
    """The run's headline in words (`2.21x [2.05-2.38] vs tbb-chm`); empty when none was
    measured; marked when the best has moved since."""
    ratio_words: str = ""
    """The best's in-loop ratio in words (:func:`best_ratio_words`); empty when none."""


def run_status(ws: Workspace, state: RunState) -> RunStatusText:
    """`live` when an engine holds the run; otherwise how its last stint ended, and
    `crashed` when it ended without saying (kill -9, power cut)."""
    try:
        live = live_engine(ws) is not None
    except OSError:  # an unreadable lock: nobody we can reach holds it
        live = False
    if live:
        return "live"
    status = state.status
    if status == "running":
        return "crashed"
    return status


def _date(ts: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(ts, UTC)
    except (ValueError, OverflowError, OSError):  # a hand-edited or damaged timestamp
        return None


def summarize(ws: Workspace) -> RunSummary:
    """What the list shows of one run; a damaged or vanished log gives what it can."""
    try:
        state = RunState.from_events(read_events(ws.events))
    except (EventLogError, OSError):
        state = RunState()
    started = _date(state.stints[0].started_ts) if state.stints else None
    best = state.iterations.get(state.best_iteration) if state.best_iteration else None
    return RunSummary(
        workspace=ws,
        spec_name=state.spec_name or "?",
        started=started,
        completed=state.completed,
        budget=state.iterations_budget,
        best_iteration=state.best_iteration,
        best_ops_s=state.best_ops_s,
        best_ratio=state.ratio_now(best).value if best else None,
        best_comparison=state.ratio_now(best).comparison if best else None,
        headline=headline_words(state),
        ratio_words=best_ratio_words(state),
        status=run_status(ws, state),
        reason=state.finish_reason,
        problems=state.problem_count + state.corrupt_lines,
        naive=state.naive,
    )


def best_ratio_words(state: RunState) -> str:
    """The best's in-loop ratio to the baseline: ``1.84x [1.71-1.98] vs tbb-chm`` when
    measured beside it, else against the baseline's cached figure, said unpaired; empty
    when there is no best or no baseline."""
    best = state.iterations.get(state.best_iteration) if state.best_iteration else None
    shown = state.ratio_now(best).as_comparison() if best is not None else None
    return baseline_ratio_text(shown, TIMES) if shown is not None else ""


def headline_words(state: RunState) -> str:
    """The run's headline in words (`2.21x [2.05-2.38] vs tbb-chm`), marked when the
    best has moved since; empty when none was measured."""
    headline = state.headline
    if headline is None:
        return ""
    text = headline_text(headline, TIMES)
    if headline.best_iteration != state.best_iteration:
        text += f" (of #{headline.best_iteration}, before the best moved)"
    return text


def list_runs(base: Path | None = None) -> list[RunSummary]:
    """Every run under ``base`` (default `workspaces/`), newest first."""
    runs = [summarize(Workspace(path)) for path in list_workspace_dirs(base)]
    return sorted(runs, key=lambda r: r.started or datetime.min.replace(tzinfo=UTC), reverse=True)
