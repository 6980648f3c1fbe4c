"""Starting a new run of a card, or resuming (and forking) a run: checks every choice
before anything is made, then makes the agent, the machine, the workspace and the engine
(not started).

Everything here blocks (it creates a git workspace, loads the agent's trajectory): the
app calls it in a thread. Each failure is a :class:`LaunchError` saying what to do.
"""

from __future__ import annotations

from pathlib import Path

from jitskit_tui.agents.registry import (
    agent_names,
    agent_options,
    default_agent_name,
    make_agent,
    recorded_options,
)
from jitskit_tui.engine.baseline import measured_baselines
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.run_context import EngineError
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError
from jitskit_tui.launch.choices import LaunchError, RunChoices
from jitskit_tui.machine_kinds import kind_for
from jitskit_tui.protocol.agent import Agent, AgentUnavailable
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.sandbox.turns import EvalTurns, TurnTakingMachine
from jitskit_tui.spec import SpecCard, SpecError, load_spec


def open_machine(label: str, turns: Path | None = None) -> BenchMachine:
    """The benchmark machine ``label`` names (nothing is contacted yet); with ``turns``,
    a machine that is one host takes its evaluations' turns there."""
    try:
        machine = machine_for(label)
    except MachineError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise LaunchError(
            f"cannot evaluate on {exc.machine}: {exc.message}{hint}", cause="machine"
        ) from None
    kind = kind_for(label)
    if turns is None or (kind is not None and kind.machine_per_evaluation):
        return machine
    return TurnTakingMachine(machine, EvalTurns(turns))


def open_agent(choices: RunChoices, spec: SpecCard) -> tuple[Agent, dict[str, str]]:
    """The agent chosen (else the card's, else the default), and the options to record
    with the run so a resume makes the same one."""
    name = choices.agent or spec.loop.agent or default_agent_name()
    try:
        options = agent_options(name, choices.agent_options)
        agent = make_agent(name, spec, options)
    except AgentUnavailable as exc:
        raise LaunchError(str(exc), choice="agent") from None
    if choices.naive and not agent.runs_naive:
        raise LaunchError(
            f"the {name} agent cannot run the naive experiment; use --agent claude-code",
            choice="naive",
        )
    return agent, options


def load_card(spec_path: Path) -> SpecCard:
    """The card at ``spec_path``, or a :class:`LaunchError` listing its problems."""
    try:
        return load_spec(spec_path)
    except SpecError as err:
        first = str(err.issues[0]) if err.issues else "it does not load"
        raise LaunchError(
            f"{spec_path}: the card cannot run: {first}",
            lines=tuple(str(issue) for issue in err.issues),
        ) from None


def check_start(spec_path: Path, choices: RunChoices) -> SpecCard:
    """What :func:`start_run` checks before it makes anything: the card loads, and its
    machine and agent can be made; a sweep checks every card this way before it starts."""
    spec = load_card(spec_path)
    open_machine(choices.machine or spec.environment.machine)
    open_agent(choices, spec)
    return spec


def start_run(spec_path: Path, choices: RunChoices) -> Engine:
    """A new run of the card at ``spec_path``: its workspace and an engine on it."""
    spec = load_card(spec_path)
    # An unusable machine or agent is said before a workspace is made.
    machine = open_machine(choices.machine or spec.environment.machine, choices.eval_turns)
    agent, options = open_agent(choices, spec)
    try:
        ws = create_workspace(spec, spec_path, choices.workspace, base=choices.workspaces)
    except (WorkspaceError, OSError) as exc:
        raise LaunchError(
            f"the run's workspace cannot be made: {exc}", choice="workspace"
        ) from None
    return _engine(ws, agent, machine, choices, options, choices.iterations)


def recorded_choices(ws: Workspace) -> tuple[RunChoices, RunState]:
    """The choices the run was started (or last resumed) with, and its state: a resume's
    defaults. An agent this build no longer has falls back to the default one."""
    try:
        state = RunState.from_events(read_events(ws.events))
    except EventLogError as exc:
        raise LaunchError(str(exc)) from None
    agent = state.agent if state.agent in agent_names() else default_agent_name()
    recorded = state.agent_options if agent == state.agent else {}
    choices = RunChoices(
        agent=agent,
        agent_options=recorded_options(agent, recorded),
        iterations=state.iterations_budget or None,
        machine=state.machine or None,
        naive=state.naive,
        allow_smaller_machine=state.allow_smaller_machine,
    )
    return choices, state


def resume_run(ws: Workspace, choices: RunChoices) -> Engine:
    """An engine continuing ``ws`` from its last committed iteration (or a fork)."""
    _, state = recorded_choices(ws)
    try:
        spec = load_spec(ws.spec_file)
    except SpecError as err:
        first = str(err.issues[0]) if err.issues else "it does not load"
        raise LaunchError(f"{ws.spec_file}: the run's spec does not load: {first}") from None
    if choices.fork_from:
        view = state.iterations.get(choices.fork_from)
        if view is None or view.state != "done":
            raise LaunchError(
                f"{ws.name}: iteration {choices.fork_from} is not a committed iteration",
                choice="fork_from",
            )
    budget = choices.iterations or state.iterations_budget or spec.loop.iterations
    if state.completed >= budget:
        raise LaunchError(
            f"{ws.name}: the budget is used up ({state.completed} of {budget} iterations); "
            f"give a larger total than {state.completed} to run more",
            choice="iterations",
        )
    agent, options = open_agent(choices, spec)
    machine = open_machine(
        choices.machine or state.machine or spec.environment.machine, choices.eval_turns
    )
    return _engine(ws, agent, machine, choices, options, budget)


def _engine(
    ws: Workspace,
    agent: Agent,
    machine: BenchMachine,
    choices: RunChoices,
    agent_options: dict[str, str],
    budget: int | None,
) -> Engine:
    options = EngineOptions(
        iterations=budget,
        baseline=measured_baselines if choices.baselines else None,
        fork_from=choices.fork_from,
        seed=choices.seed,
        agent_options=agent_options,
        naive=choices.naive,
        allow_smaller_machine=choices.allow_smaller_machine,
    )
    try:
        return Engine(ws, agent, machine, options)
    except WorkspaceError as exc:
        raise LaunchError(str(exc), cause="busy") from None
    except EngineError as exc:
        raise LaunchError(str(exc)) from None
