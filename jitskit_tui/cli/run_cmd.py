"""`jitskit run SPEC` and `jitskit resume RUN`: the loop in the app, or in this terminal.

Both turn their flags into run choices and let :mod:`jitskit_tui.launch` check them and
make the engine before anything is shown, so a bad option fails the same way either
way. Then the app opens on the run's dashboard, the engine running in it; or, with
`--headless`, the run prints in this terminal (:mod:`jitskit_tui.cli.headless`). The
`--agent` and agent-option flags and the `--machine` help come from the registries.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from jitskit_tui.cli.flags import (
    MACHINE_HELP,
    agent_flags,
    baselines_option,
    fail,
    given_options,
    launch_failed,
    seed_option,
    smaller_option,
    transcript_option,
)
from jitskit_tui.cli.headless import EXIT_FOR_STATUS, HeadlessPrinter, drive, exit_code
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import WorkspaceError, find_workspace
from jitskit_tui.launch.choices import LaunchError, RunChoices
from jitskit_tui.launch.runs import recorded_choices, resume_run, start_run
from jitskit_tui.sweep.folder import sweep_named
from jitskit_tui.sweep.setup import in_its_sweep

if TYPE_CHECKING:
    from jitskit_tui.tui.app import JitskitApp


@click.command("run")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--headless", is_flag=True, help="Run in this terminal without the app.")
@agent_flags
@click.option("--iterations", type=click.IntRange(1, 10_000), help="Iteration budget.")
@click.option("--machine", help=f"{MACHINE_HELP} (default: the spec's).")
@click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    help="Where the run goes (default: workspaces/<spec>-<time>-<hex>).",
)
@click.option(
    "--naive",
    is_flag=True,
    help="The naive experiment: one agent session with the spec, the store contract and a "
    "benchmark tool that reports throughput only; each benchmark run is an iteration the "
    "gates judge after the fact (claude-code agent).",
)
@baselines_option
@transcript_option
@seed_option
@smaller_option
def run(
    spec: Path,
    headless: bool,
    agent: str | None,
    iterations: int | None,
    machine: str | None,
    workspace: Path | None,
    naive: bool,
    baselines: bool,
    transcript: bool,
    seed: int | None,
    allow_smaller_machine: bool | None,
    **flags: Any,
) -> None:
    """Synthesize a store for SPEC: plan, code, gate, benchmark, critique, commit; repeat.

    Opens the app on the run's dashboard, the run going in it (quitting the app asks
    before aborting the run); with --headless, runs in this terminal instead. The agent
    is --agent's, else the card's loop.agent, else anthropic when an API key is
    configured, else the offline scripted agent.

    Exit 0 when the budget is used up or the run is stopped, 3 when it cannot go on (no
    compiler, unreachable machine, a machine smaller than the card), 4 when aborted.
    """
    if not headless:
        app_needs_terminal()
    choices = RunChoices(
        agent=agent,
        agent_options=given_options(flags),
        iterations=iterations,
        baselines=baselines,
        machine=machine,
        workspace=workspace,
        seed=seed,
        naive=naive,
        allow_smaller_machine=bool(allow_smaller_machine),
    )
    try:
        engine = start_run(spec, choices)
    except LaunchError as exc:
        raise launch_failed(exc) from None
    later = _app_defaults(engine, choices, machine)
    _go(engine, later, headless=headless, transcript=transcript, spec=spec)


@click.command("resume")
@click.argument("run_name", metavar="RUN")
@click.option("--headless", is_flag=True, help="Run in this terminal without the app.")
@agent_flags
@click.option("--iterations", type=click.IntRange(1, 10_000), help="New total iteration budget.")
@click.option("--machine", help=f"{MACHINE_HELP} (default: the run's).")
@click.option(
    "--fork", "fork_from", type=click.IntRange(0), help="Continue from iteration N on a new branch."
)
@baselines_option
@transcript_option
@seed_option
@smaller_option
def resume(
    run_name: str,
    headless: bool,
    agent: str | None,
    iterations: int | None,
    machine: str | None,
    fork_from: int | None,
    baselines: bool,
    transcript: bool,
    seed: int | None,
    allow_smaller_machine: bool | None,
    **flags: Any,
) -> None:
    """Continue RUN (a workspace path or name) from its last complete iteration.

    RUN may be a sweep's folder: the sweep goes on in this terminal, as `jitskit sweep
    --resume DIR` does (with --iterations as each run's new budget).

    The transcript, iterations, best and pending steering are kept; an iteration that was
    interrupted half-way is redone from its start (its partial work is kept on a git ref).
    Opens the app on the run's dashboard; with --headless, runs in this terminal instead.
    """
    sweep = sweep_named(run_name)
    if sweep is not None:
        # A sweep runs in this terminal; its runs are shown by `jitskit tui DIR`.
        from jitskit_tui.cli.sweep_cmd import resume_sweep

        resume_sweep(str(sweep.root), parallel=None, iterations=iterations)
        return
    if not headless:
        app_needs_terminal()
    try:
        ws = find_workspace(run_name)
    except WorkspaceError as exc:
        raise fail(str(exc)) from None
    try:
        recorded, _ = recorded_choices(ws)
        choices = replace(
            recorded.with_agent(agent, given_options(flags)),
            iterations=iterations,
            machine=machine or recorded.machine,
            baselines=baselines,
            fork_from=fork_from,
            seed=seed,
            allow_smaller_machine=allow_smaller_machine or recorded.allow_smaller_machine,
        )
        engine = resume_run(ws, in_its_sweep(ws.root, choices))
    except LaunchError as exc:
        raise launch_failed(exc) from None
    later = _app_defaults(engine, choices, machine)
    _go(engine, later, headless=headless, transcript=transcript)


def _app_defaults(engine: Engine, choices: RunChoices, machine: str | None) -> RunChoices:
    """This command's choices, as the app's defaults when the run is resumed or forked
    from the app later (not its budget, folder or fork)."""
    return RunChoices(
        agent=engine.agent.name,
        agent_options=dict(engine.options.agent_options),
        baselines=choices.baselines,
        machine=machine,
        allow_smaller_machine=choices.allow_smaller_machine,
    )


def _go(
    engine: Engine,
    later: RunChoices,
    *,
    headless: bool,
    transcript: bool,
    spec: Path | None = None,
) -> None:
    """Runs the engine in the app (``later``: its defaults for what is started from it),
    or in this terminal; exits with how the run ended."""
    if not headless:
        raise SystemExit(show_run(run_app(engine, later, spec=spec)))
    click.echo(f"workspace: {engine.ws.root}")
    finished = asyncio.run(drive(engine, HeadlessPrinter(engine.spec, transcript=transcript)))
    raise SystemExit(exit_code(finished))


# -- in the app -----------------------------------------------------------------------------


def app_needs_terminal() -> None:
    """Exits saying so when this is no terminal to open the app in (a pipe, a CI job),
    before anything is made."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise fail(
            "the app needs a terminal, and this is not one (stdin or stdout is redirected); "
            "add --headless to run in this one without the app"
        )


def run_app(engine: Engine, choices: RunChoices, *, spec: Path | None = None) -> JitskitApp:
    """The app `jitskit run` and `jitskit resume` open: the run's dashboard first, the
    engine (made and checked by the command) running in the app; ``choices`` are the
    defaults when the run is resumed or forked from the app later; the editor (F3) on
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
    return EXIT_FOR_STATUS.get(status, 0)
