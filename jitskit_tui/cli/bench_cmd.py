"""`jitskit bench`: evaluate a store directory against a spec, as the loop would."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from jitskit_tui.cli.progress import ProgressLine
from jitskit_tui.cli.report import print_result
from jitskit_tui.harness.evaluate import EvalRequest, evaluate
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.spec import SpecCard, SpecError, load_spec

EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_MACHINE = 3


def load_or_exit(path: Path) -> SpecCard:
    try:
        return load_spec(path)
    except SpecError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        raise SystemExit(EXIT_USAGE) from None


def machine_or_exit(label: str) -> BenchMachine:
    try:
        machine = machine_for(label)
        asyncio.run(machine.check())
    except MachineError as exc:
        click.echo(f"jitskit: cannot evaluate on {exc.machine}: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"  {exc.hint}", err=True)
        raise SystemExit(EXIT_MACHINE) from None
    return machine


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--store",
    "store",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory with the store's C++ sources.",
)
@click.option(
    "--quick",
    "size",
    flag_value="quick",
    default=True,
    help="The spec's quick evaluation size (the default).",
)
@click.option("--full", "size", flag_value="full", help="The spec's full evaluation size.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path),
    help="Write the whole result as JSON to this file.",
)
@click.option("--machine", help="Benchmark machine: local, tcp://, ssh://, unix:// or a context.")
@click.option("--seed", type=int, help="Seed for the kill moment and canary (default: random).")
def bench(
    spec: Path, store: Path, size: str, json_out: Path | None, machine: str | None, seed: int | None
) -> None:
    """Build, gate and benchmark the store in DIR for SPEC.

    Exit 0 when every gate passes, 1 when a gate fails, 2 for a usage or spec error,
    3 when the machine cannot evaluate (with what to install).
    """
    card = load_or_exit(spec)
    if not store.is_dir():
        click.echo(
            f"jitskit: {store}: not a directory; --store takes the store's sources", err=True
        )
        raise SystemExit(EXIT_USAGE)
    bench_machine = machine_or_exit(machine or card.environment.machine)
    progress = ProgressLine(card.name)
    request = EvalRequest(
        spec=card, store_dir=store, size="full" if size == "full" else "quick", seed=seed
    )
    try:
        result = asyncio.run(evaluate(request, bench_machine, progress))
    except MachineError as exc:
        progress.done()
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_MACHINE) from None
    progress.done()
    print_result(result)
    if json_out is not None:
        tmp = json_out.with_name(json_out.name + ".tmp")
        tmp.write_text(result.model_dump_json(indent=2))
        os.replace(tmp, json_out)
    raise SystemExit(0 if result.verdict == "pass" else EXIT_GATE_FAILED)
