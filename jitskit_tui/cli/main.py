"""The `jitskit` console script.

Commands are imported only when they run, so `jitskit` with no arguments opens the
terminal app without first loading the harness, the docker SDK or the engine.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

import click

# Command name -> "module:attribute" under jitskit_tui.cli.
COMMANDS = {
    "tui": "tui_cmd:tui",
    "validate": "validate_cmd:validate",
    "trace": "trace_cmd:trace",
    "bench": "bench_cmd:bench",
    "baselines": "baselines_cmd:baselines",
    "compare": "compare_cmd:compare",
    "confirm": "confirm_cmd:confirm",
    "image": "image_cmd:image",
    "run": "run_cmd:run",
    "resume": "run_cmd:resume",
    "sweep": "sweep_cmd:sweep",
    "report": "report_cmd:report",
    "control": "control_cmd:control",
    "runs": "runs_cmd:runs",
    "show": "runs_cmd:show",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(f"jitskit_tui.cli.{module_name}")
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="jitskit-tui", prog_name="jitskit")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """jitskit: synthesize a key-value store for one spec card with an LLM agent, refined
    against a strict evaluator. With no command, opens the terminal app on specs/demo.yaml."""
    if ctx.invoked_subcommand is None:
        from jitskit_tui.cli.tui_cmd import launch_tui

        launch_tui(None)


def _crash_log() -> Path:
    return Path.home() / ".cache" / "jitskit" / "crash.log"


def main() -> None:
    """Entry point: runs the CLI; an unexpected error becomes one line and a log file."""
    try:
        cli.main(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("jitskit: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        log = _crash_log()
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            where = f"details in {log}"
        except OSError:
            where = "no crash log could be written"
        click.echo(f"jitskit: internal error: {exc!r} ({where}; please report it)", err=True)
        sys.exit(70)
