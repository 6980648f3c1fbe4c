"""`jitskit trace`: print a spec's first run-phase operations, as the harness generates them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from jitskit_tui.cli.bench_cmd import EXIT_MACHINE, load_or_exit
from jitskit_tui.harness.trace_tool import print_trace
from jitskit_tui.sandbox.base import MachineError


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--ops",
    default=20,
    show_default=True,
    type=click.IntRange(1, 100_000_000),
    help="How many operations to print.",
)
def trace(spec: Path, ops: int) -> None:
    """Print the first OPS run-phase operations of SPEC as `OP KEY [LEN]` lines.

    Traces are deterministic from the spec's seed: the same card prints the same lines.
    """
    card = load_or_exit(spec)
    try:
        status = asyncio.run(print_trace(card, ops))
    except MachineError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_MACHINE) from None
    except BrokenPipeError:
        status = 0
    raise SystemExit(status)
