"""Starting a run in this process, or resuming (and forking) one: the same choices as
`jitskit run --headless` and `jitskit resume`, made from the start dialog.

Everything here blocks (it creates a git workspace, loads the agent's trajectory) and runs
in a thread; each failure is a :class:`LaunchError` whose message says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.agents import AgentName, AgentUnavailable, make_agent
from jitskit_tui.agents.scripted.pace import PaceName
from jitskit_tui.engine.baseline import BaselineSource, measured_baselines
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.run_context import EngineError
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError
from jitskit_tui.protocol.agent import Agent
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.spec import SpecCard, SpecError, load_spec


class LaunchError(Exception):
    """The run cannot start (with what to do instead)."""


@dataclass
class RunChoices:
    """What the start dialog asks; the defaults are the command line's."""

    agent: AgentName = "scripted"
    pace: PaceName = "realistic"
    trajectory: Path | None = None
    """The scripted agent's trajectory folder; ``None``: the shipped demo."""
    iterations: int | None = None
    """The total budget; ``None``: the card's (or, on resume, the run's)."""
    baselines: bool = True
    machine: str | None = None
    """``None``: the card's (or, on resume, the run's)."""
    fork_from: int | None = None
    """Resume only: continue from this iteration on a new branch."""
    workspaces: Path | None = None
    """Where new runs go; ``None``: `workspaces/` here."""

    def agent_options(self) -> dict[str, str]:
        if self.agent != "scripted":
            return {}
        options: dict[str, str] = {"pace": self.pace}
        if self.trajectory is not None:
            options["trajectory"] = str(self.trajectory.resolve())
        return options


def _baseline_source(enabled: bool) -> BaselineSource | None:
    return measured_baselines if enabled else None


def _machine(label: str) -> BenchMachine:
    try:
        return machine_for(label)
    except MachineError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise LaunchError(f"cannot evaluate on {exc.machine}: {exc.message}{hint}") from None


def _agent(choices: RunChoices, spec: SpecCard) -> Agent:
    if choices.trajectory is not None and not choices.trajectory.is_dir():
        raise LaunchError(f"{choices.trajectory}: no such trajectory folder")
    try:
        return make_agent(choices.agent, spec, pace=choices.pace, trajectory=choices.trajectory)
    except AgentUnavailable as exc:
        raise LaunchError(str(exc)) from None


def _open(
    ws: Workspace, choices: RunChoices, spec: SpecCard, machine_label: str, budget: int | None
) -> Engine:
    agent = _agent(choices, spec)
    machine = _machine(machine_label)
    options = EngineOptions(
        iterations=budget,
        baseline=_baseline_source(choices.baselines),
        fork_from=choices.fork_from,
        agent_options=choices.agent_options(),
    )
    try:
        return Engine(ws, agent, machine, options)
    except (WorkspaceError, EngineError) as exc:
        raise LaunchError(str(exc)) from None


def start_run(spec_path: Path, choices: RunChoices) -> Engine:
    """A new workspace for the card at ``spec_path`` and an engine on it (not started)."""
    try:
        spec = load_spec(spec_path)
    except SpecError as err:
        first = str(err.issues[0]) if err.issues else "it does not load"
        raise LaunchError(f"{spec_path}: the card cannot run: {first}") from None
    label = choices.machine or spec.environment.machine
    _machine(label)  # an unreachable machine is said before a workspace is made
    try:
        ws = create_workspace(spec, spec_path, base=choices.workspaces)
    except (WorkspaceError, OSError) as exc:
        raise LaunchError(f"the run's workspace cannot be made: {exc}") from None
    return _open(ws, choices, spec, label, choices.iterations)


def resume_defaults(ws: Workspace) -> tuple[RunChoices, RunState]:
    """The choices the run was started with, for the resume dialog."""
    try:
        state = RunState.from_events(read_events(ws.events))
    except EventLogError as exc:
        raise LaunchError(str(exc)) from None
    recorded = state.agent_options
    choices = RunChoices(
        agent="anthropic" if state.agent == "anthropic" else "scripted",
        pace=pace_choice(recorded.get("pace")),
        trajectory=Path(recorded["trajectory"]) if recorded.get("trajectory") else None,
        iterations=state.iterations_budget or None,
        machine=state.machine or None,
    )
    return choices, state


def pace_choice(name: str | None) -> PaceName:
    """The scripted agent's pace called ``name`` (as recorded with a run), else realistic."""
    for pace in ("realistic", "fast", "instant"):
        if name == pace:
            return pace
    return "realistic"


def resume_run(ws: Workspace, choices: RunChoices) -> Engine:
    """An engine continuing ``ws`` (from its last committed iteration, or a fork)."""
    _, state = resume_defaults(ws)
    try:
        spec = load_spec(ws.spec_file)
    except SpecError as err:
        first = str(err.issues[0]) if err.issues else "it does not load"
        raise LaunchError(f"{ws.spec_file}: the run's spec does not load: {first}") from None
    if choices.fork_from:
        view = state.iterations.get(choices.fork_from)
        if view is None or view.state != "done":
            raise LaunchError(f"iteration {choices.fork_from} is not a committed iteration")
    budget = choices.iterations or state.iterations_budget or spec.loop.iterations
    if state.completed >= budget:
        raise LaunchError(
            f"the budget is used up ({state.completed} of {budget} iterations); "
            f"give a larger total than {state.completed}"
        )
    label = choices.machine or state.machine or spec.environment.machine
    return _open(ws, choices, spec, label, budget)
