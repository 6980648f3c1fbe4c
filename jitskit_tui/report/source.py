"""What a report is about: one run, or every run of a sweep, named as the user names them
(a folder, or a name under `workspaces/`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace
from jitskit_tui.report.figures import RunFigures, run_figures
from jitskit_tui.sweep.folder import SweepError, sweep_named
from jitskit_tui.sweep.manifest import load_manifest


class ReportError(Exception):
    """The report cannot be made (with what to do)."""


@dataclass
class ReportSource:
    title: str
    about: str
    """One line: what was run, how, when the report was made."""
    runs: list[RunFigures]
    not_run: list[str] = field(default_factory=list)
    """A sweep's cards whose run never started."""


def _made() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def report_source(target: str) -> ReportSource:
    """The runs ``target`` names: a sweep's (its folder or name) or one run's."""
    sweep = sweep_named(target)
    if sweep is not None:
        try:
            manifest = load_manifest(sweep)
        except SweepError as exc:
            raise ReportError(str(exc)) from None
        runs, not_run = [], []
        for entry in manifest.entries:
            ws = Workspace(sweep.root / entry.workspace)
            if ws.exists():
                runs.append(run_figures(ws))
            else:
                not_run.append(entry.spec_name)
        agent = manifest.agent or "each card's agent"
        machine = manifest.machine or "each card's machine"
        budget = manifest.iterations
        iterations = (
            "each card's iteration budget"
            if budget is None
            else f"{budget} iteration{'s' if budget != 1 else ''} a run"
        )
        return ReportSource(
            title=f"jitskit results: sweep {sweep.name}",
            about=(
                f"{len(manifest.entries)} cards, {agent} agent, {machine}, {iterations}; "
                f"sweep made {manifest.created:%Y-%m-%d %H:%M} UTC; report made {_made()}"
            ),
            runs=runs,
            not_run=not_run,
        )
    try:
        ws = find_workspace(target)
    except WorkspaceError as exc:
        raise ReportError(f"{exc} (or give a sweep's folder)") from None
    figures = run_figures(ws)
    return ReportSource(
        title=f"jitskit results: run {ws.name}",
        about=f"one run of {figures.spec_name}; report made {_made()}",
        runs=[figures],
    )
