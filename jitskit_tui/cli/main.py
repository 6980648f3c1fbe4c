"""The `jitskit` console script."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from jitskit_tui.cli.bench_cmd import bench
from jitskit_tui.cli.trace_cmd import trace
from jitskit_tui.cli.validate_cmd import validate


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jitskit-tui", prog_name="jitskit")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """jitskit: synthesize a key-value store for one spec card with an LLM agent, refined
    against a strict evaluator."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


cli.add_command(validate)
cli.add_command(bench)
cli.add_command(trace)


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
