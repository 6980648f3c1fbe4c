"""The flags `jitskit run`, `resume` and `sweep` share, and how a failed launch is said:
the `--agent` and agent-option flags come from the agents' registry, the `--machine` help
from the machine kinds'."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from jitskit_tui.agents.registry import AGENT_BACKENDS, agent_names, all_options
from jitskit_tui.cli.headless import EXIT_FAILED
from jitskit_tui.launch.choices import LaunchError
from jitskit_tui.machine_kinds import address_forms

EXIT_USAGE = 2
EXIT_LOCKED = 5
_EXIT_FOR_CAUSE = {"choice": EXIT_USAGE, "machine": EXIT_FAILED, "busy": EXIT_LOCKED}
_FLAG_FOR_CHOICE = {
    "iterations": "--iterations",
    "fork_from": "--fork",
    "workspace": "--workspace",
    "naive": "--naive",
}

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_USAGE) -> SystemExit:
    click.echo(f"jitskit: {message}", err=True)
    return SystemExit(code)


def launch_failed(exc: LaunchError) -> SystemExit:
    """Says why the launch failed (every problem of a card on its own line) and exits with
    the code its cause has."""
    if exc.lines:
        for line in exc.lines:
            click.echo(line, err=True)
        return SystemExit(EXIT_USAGE)
    flag = _FLAG_FOR_CHOICE.get(exc.choice or "")
    return fail(exc.message + (f" ({flag})" if flag else ""), _EXIT_FOR_CAUSE[exc.cause])


def agent_flags(command: F) -> F:
    """`--agent` and one flag per agent option, as the registry lists them."""
    for option in reversed(all_options().values()):
        kind: click.ParamType[Any] = (
            click.Choice(option.choices)
            if option.choices
            else click.Path(file_okay=option.path != "folder", dir_okay=option.path != "file")
            if option.path
            else click.STRING
        )
        flag = "--" + option.name.replace("_", "-")
        command = click.option(flag, f"agent_option_{option.name}", type=kind, help=option.help)(
            command
        )
    about = "; ".join(f"{b.name}: {b.about}" for b in AGENT_BACKENDS)
    return click.option(
        "--agent",
        type=click.Choice(agent_names()),
        help=f"Who plays the roles ({about}).",
    )(command)


def given_options(flags: dict[str, Any]) -> dict[str, str]:
    """The agent options given as flags, by option name."""
    prefix = "agent_option_"
    return {
        name.removeprefix(prefix): str(value)
        for name, value in flags.items()
        if name.startswith(prefix) and value is not None
    }


MACHINE_HELP = f"Benchmark machine: {address_forms()}"
baselines_option = click.option(
    "--baselines/--no-baselines",
    default=True,
    help="Measure the best comparable baseline for the ratio (cached per machine).",
)
transcript_option = click.option(
    "--transcript",
    is_flag=True,
    help="With --headless: print the agents' words as they stream (the app always does).",
)
seed_option = click.option("--seed", type=int, hidden=True)
smaller_option = click.option(
    "--allow-smaller-machine",
    is_flag=True,
    default=None,
    help="Evaluate even when the machine has fewer CPUs, less memory or no disk where the "
    "card asks for them; every figure is marked (recorded with the run).",
)
