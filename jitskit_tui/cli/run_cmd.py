"""`jitskit run SPEC` and `jitskit resume RUN`: the loop in the app, or in this terminal.

Both check everything they were given (the card, the machine, the agent, the workspace)
and make the engine before anything is shown, so a bad option fails the same way either
way. Then the app opens on the run's dashboard, the engine running in it; or, with
`--headless`, one line per event that matters, a progress bar for the running benchmark
on a terminal, and the agent's words as they stream with `--transcript`. Ctrl-C aborts a
headless run the way `jitskit control RUN abort` does (everything written so far is
kept; `jitskit resume` continues it).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from jitskit_tui.agents import (
    AGENT_NAMES,
    AgentName,
    AgentUnavailable,
    default_agent_name,
    make_agent,
)
from jitskit_tui.agents.scripted.pace import PACES
from jitskit_tui.engine.baseline import BaselineSource, measured_baselines
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.inbox import NotLive
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.run_context import EngineError
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace
from jitskit_tui.harness.config import run_size
from jitskit_tui.protocol.agent import Agent
from jitskit_tui.protocol.controls import Abort
from jitskit_tui.protocol.events import (
    AgentText,
    AgentTurnStarted,
    BenchTickEvent,
    EvalStarted,
    Event,
    RunFinished,
)
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.spec import SpecCard, SpecError, load_spec

if TYPE_CHECKING:
    from jitskit_tui.tui.app import JitskitApp
    from jitskit_tui.tui.run.launch import RunChoices

EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_ABORTED = 4
EXIT_LOCKED = 5
BAR_WIDTH = 24


class HeadlessPrinter:
    """Prints the engine's events: lines, a benchmark progress bar, the transcript."""

    def __init__(self, spec: SpecCard, *, transcript: bool) -> None:
        self.narrator = Narrator()
        self.transcript = transcript
        self.tty = sys.stdout.isatty()
        sized = run_size(spec, "quick")
        self.duration_s = sized.duration_s
        self.operations = sized.operation_count
        self._bar = 0
        self._mid_text = False
        self._label = ""

    def _clear_bar(self) -> None:
        if self._bar:
            click.echo("\r" + " " * self._bar + "\r", nl=False)
            self._bar = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, EvalStarted):
            self._label = {"tool": " (build_and_test)", "baseline": f" ({event.name})"}.get(
                event.purpose, ""
            )
        if isinstance(event, BenchTickEvent):
            self.narrator.state.apply(event)
            if self.tty:
                self._draw_bar(event)
            return
        if isinstance(event, AgentText):
            if self.transcript:
                self._clear_bar()
                click.echo(event.text, nl=False)
                self._mid_text = not event.text.endswith("\n")
            return
        if self.transcript and isinstance(event, AgentTurnStarted):
            self._end_text()
            click.echo(f"  [{event.role}]")
        line = self.narrator.line(event)
        if line is not None:
            self._clear_bar()
            self._end_text()
            click.echo(line)

    def _end_text(self) -> None:
        if self._mid_text:
            click.echo("")
            self._mid_text = False

    def _draw_bar(self, tick: BenchTickEvent) -> None:
        parts = [tick.t_s / self.duration_s if self.duration_s else 0.0]
        if self.operations:
            parts.append(tick.ops / self.operations)
        done = min(1.0, max(parts))
        filled = round(done * BAR_WIDTH)
        text = (
            f"  benchmark{self._label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:4.0%} "
            f"{tick.t_s:5.1f}s {tick.ops_s:>12,.0f} ops/s"
        )
        pad = max(0, self._bar - len(text))
        click.echo("\r" + text + " " * pad, nl=False)
        self._bar = len(text)

    def finish(self) -> None:
        self._clear_bar()
        self._end_text()


async def drive(engine: Engine, printer: HeadlessPrinter) -> RunFinished:
    """Runs ``engine`` to its end, printing as it goes; Ctrl-C or SIGTERM aborts it."""
    engine.log.subscribe(printer)
    loop = asyncio.get_running_loop()

    def on_signal(name: str) -> None:
        with contextlib.suppress(NotLive):
            engine.handle_control(Abort(source=f"signal {name}"))

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        return await engine.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        printer.finish()


_EXIT_FOR_STATUS = {"finished": 0, "stopped": 0, "aborted": EXIT_ABORTED, "failed": EXIT_FAILED}


def exit_code(finished: RunFinished) -> int:
    return _EXIT_FOR_STATUS[finished.status]


def _fail(message: str, code: int = EXIT_USAGE) -> SystemExit:
    click.echo(f"jitskit: {message}", err=True)
    return SystemExit(code)


def _machine(label: str) -> BenchMachine:
    try:
        return machine_for(label)
    except MachineError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        raise _fail(f"cannot evaluate on {exc.machine}: {exc.message}{hint}", EXIT_FAILED) from None


def _agent(
    name: AgentName, spec: SpecCard, pace: str, trajectory: Path | None
) -> tuple[Agent, dict[str, str]]:
    try:
        agent = make_agent(name, spec, pace=pace, trajectory=trajectory)
    except AgentUnavailable as exc:
        raise _fail(str(exc)) from None
    options = {"pace": pace} if name == "scripted" else {}
    if name == "scripted" and trajectory is not None:
        options["trajectory"] = str(trajectory.resolve())
    return agent, options


def _baseline_source(enabled: bool) -> BaselineSource | None:
    if not enabled:
        return None
    return measured_baselines


def _open_engine(
    ws: Workspace, agent: Agent, machine: BenchMachine, options: EngineOptions
) -> Engine:
    try:
        return Engine(ws, agent, machine, options)
    except WorkspaceError as exc:
        raise _fail(str(exc), EXIT_LOCKED) from None
    except EngineError as exc:
        raise _fail(str(exc)) from None


_agent_option = click.option(
    "--agent",
    type=click.Choice(AGENT_NAMES),
    help="Who plays the roles; default: anthropic when ANTHROPIC_API_KEY is set, else scripted.",
)
_pace_option = click.option(
    "--pace",
    type=click.Choice(PACES),
    help="The scripted agent's speed (default realistic; instant for tests).",
)
_trajectory_option = click.option(
    "--trajectory",
    type=click.Path(path_type=Path, file_okay=False),
    help="A scripted trajectory folder (default: the shipped demo).",
)
_baselines_option = click.option(
    "--baselines/--no-baselines",
    default=True,
    help="Measure the best comparable baseline for the ratio (cached per machine).",
)
_transcript_option = click.option(
    "--transcript",
    is_flag=True,
    help="With --headless: print the agents' words as they stream (the app always does).",
)
_seed_option = click.option("--seed", type=int, hidden=True)


@click.command("run")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--headless", is_flag=True, help="Run in this terminal without the app.")
@_agent_option
@click.option("--iterations", type=click.IntRange(1, 10_000), help="Iteration budget.")
@click.option("--machine", help="Benchmark machine (default: the spec's).")
@_pace_option
@click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    help="Where the run goes (default: workspaces/<spec>-<time>-<hex>).",
)
@_trajectory_option
@_baselines_option
@_transcript_option
@_seed_option
def run(
    spec: Path,
    headless: bool,
    agent: AgentName | None,
    iterations: int | None,
    machine: str | None,
    pace: str | None,
    workspace: Path | None,
    trajectory: Path | None,
    baselines: bool,
    transcript: bool,
    seed: int | None,
) -> None:
    """Synthesize a store for SPEC: plan, code, gate, benchmark, critique, commit; repeat.

    Opens the app on the run's dashboard, the run going in it (quitting the app asks
    before aborting the run); with --headless, runs in this terminal instead.

    Exit 0 when the budget is used up or the run is stopped, 3 when it cannot go on (no
    compiler, unreachable machine), 4 when aborted.
    """
    if not headless:
        app_needs_terminal()
    try:
        card = load_spec(spec)
    except SpecError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        raise SystemExit(EXIT_USAGE) from None
    bench_machine = _machine(machine or card.environment.machine)
    name = agent or default_agent_name()
    made, agent_options = _agent(name, card, pace or "realistic", trajectory)
    try:
        ws = create_workspace(card, spec, workspace)
    except WorkspaceError as exc:
        raise _fail(str(exc)) from None
    options = EngineOptions(
        iterations=iterations,
        baseline=_baseline_source(baselines),
        seed=seed,
        agent_options=agent_options,
    )
    engine = _open_engine(ws, made, bench_machine, options)
    if not headless:
        choices = _choices(name, agent_options, baselines, machine)
        raise SystemExit(show_run(run_app(engine, choices, spec=spec)))
    click.echo(f"workspace: {ws.root}")
    finished = asyncio.run(drive(engine, HeadlessPrinter(card, transcript=transcript)))
    raise SystemExit(exit_code(finished))


@click.command("resume")
@click.argument("run_name", metavar="RUN")
@click.option("--headless", is_flag=True, help="Run in this terminal without the app.")
@_agent_option
@click.option("--iterations", type=click.IntRange(1, 10_000), help="New total iteration budget.")
@click.option("--machine", help="Benchmark machine (default: the run's).")
@_pace_option
@_trajectory_option
@click.option(
    "--fork", "fork_from", type=click.IntRange(0), help="Continue from iteration N on a new branch."
)
@_baselines_option
@_transcript_option
@_seed_option
def resume(
    run_name: str,
    headless: bool,
    agent: AgentName | None,
    iterations: int | None,
    machine: str | None,
    pace: str | None,
    trajectory: Path | None,
    fork_from: int | None,
    baselines: bool,
    transcript: bool,
    seed: int | None,
) -> None:
    """Continue RUN (a workspace path or name) from its last complete iteration.

    The transcript, iterations, best and pending steering are kept; an iteration that was
    interrupted half-way is redone from its start (its partial work is kept on a git ref).
    Opens the app on the run's dashboard; with --headless, runs in this terminal instead.
    """
    if not headless:
        app_needs_terminal()
    try:
        ws = find_workspace(run_name)
    except WorkspaceError as exc:
        raise _fail(str(exc)) from None
    state = RunState.from_events(read_events(ws.events))
    try:
        card = load_spec(ws.spec_file)
    except SpecError as err:
        raise _fail(f"{ws.spec_file}: the run's spec does not load: {err.issues[0]}") from None
    if fork_from is not None and fork_from != 0:
        view = state.iterations.get(fork_from)
        if view is None or view.state != "done":
            raise _fail(f"{ws.name}: iteration {fork_from} is not a committed iteration")
    budget = iterations or state.iterations_budget or card.loop.iterations
    if state.completed >= budget:
        raise _fail(
            f"{ws.name}: the budget is used up ({state.completed} of {budget} iterations); "
            "give --iterations with a larger total to run more",
            EXIT_USAGE,
        )
    previous: AgentName | None = next((a for a in AGENT_NAMES if a == state.agent), None)
    name: AgentName = agent or previous or default_agent_name()
    recorded = state.agent_options if name == state.agent else {}
    pace = pace or recorded.get("pace") or "realistic"
    if trajectory is None and recorded.get("trajectory"):
        trajectory = Path(recorded["trajectory"])
    made, agent_options = _agent(name, card, pace, trajectory)
    bench_machine = _machine(machine or state.machine or card.environment.machine)
    options = EngineOptions(
        iterations=budget,
        baseline=_baseline_source(baselines),
        fork_from=fork_from,
        seed=seed,
        agent_options=agent_options,
    )
    engine = _open_engine(ws, made, bench_machine, options)
    if not headless:
        choices = _choices(name, agent_options, baselines, machine)
        raise SystemExit(show_run(run_app(engine, choices)))
    click.echo(f"workspace: {ws.root}")
    finished = asyncio.run(drive(engine, HeadlessPrinter(card, transcript=transcript)))
    raise SystemExit(exit_code(finished))


# -- in the app -----------------------------------------------------------------------------


def app_needs_terminal() -> None:
    """Exits saying so when this is no terminal to open the app in (a pipe, a CI job),
    before anything is made."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise _fail(
            "the app needs a terminal, and this is not one (stdin or stdout is redirected); "
            "add --headless to run in this one without the app"
        )


def _choices(
    agent: AgentName, agent_options: dict[str, str], baselines: bool, machine: str | None
) -> RunChoices:
    """This command's choices, as the app's defaults when the run is resumed or forked
    from the app later."""
    from jitskit_tui.tui.run.launch import RunChoices, pace_choice

    trajectory = agent_options.get("trajectory")
    return RunChoices(
        agent=agent,
        pace=pace_choice(agent_options.get("pace")),
        trajectory=Path(trajectory) if trajectory else None,
        baselines=baselines,
        machine=machine,
    )


def run_app(engine: Engine, choices: RunChoices, *, spec: Path | None = None) -> JitskitApp:
    """The app `jitskit run` and `jitskit resume` open: the run's dashboard first, the
    engine (made and checked by the command) running in the app; the editor (F3) on
    ``spec``, else on the demo card."""
    from jitskit_tui.cli.tui_cmd import quiet_collector
    from jitskit_tui.tui.app import make_app

    quiet_collector()
    return make_app(spec, engine=engine, run_defaults=choices)


def show_run(app: JitskitApp) -> int:
    """Runs ``app`` until the user quits; the exit code says how the run ended (as the
    headless command's does), and where its workspace is is said on the way out."""
    app.run()
    live = app.live
    if live is None:  # the run never started (the app closed at once)
        return 0
    click.echo(f"workspace: {live.ws.root}")
    status = RunState.from_events(read_events(live.ws.events)).status
    return _EXIT_FOR_STATUS.get(status, 0)
