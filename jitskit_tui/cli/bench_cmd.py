"""`jitskit bench`: evaluate a store directory against a spec, as the loop would."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click

from jitskit_tui.cli.progress import ProgressLine
from jitskit_tui.cli.result_table import print_result
from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.machine_kinds import address_forms
from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.spec import SpecCard, SpecError, load_spec

EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_MACHINE = 3

T = TypeVar("T")

allow_smaller_machine_option = click.option(
    "--allow-smaller-machine",
    is_flag=True,
    help="Evaluate even when the machine has fewer CPUs, less memory or no disk where the "
    "card asks for them; every figure is then marked as measured on a smaller machine.",
)


def load_or_exit(path: Path) -> SpecCard:
    try:
        return load_spec(path)
    except SpecError as err:
        for issue in err.issues:
            click.echo(str(issue), err=True)
        raise SystemExit(EXIT_USAGE) from None


def machine_or_exit(label: str) -> BenchMachine:
    """The named benchmark machine, or exit 3 saying why it cannot be used."""
    try:
        return machine_for(label)
    except MachineError as exc:
        _machine_error(exc)


def _machine_error(exc: MachineError) -> NoReturn:
    click.echo(f"jitskit: cannot evaluate on {exc.machine}: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"  {exc.hint}", err=True)
    raise SystemExit(EXIT_MACHINE)


def on_machine(machine: BenchMachine, work: Callable[[], Awaitable[T]]) -> T:
    """Checks the machine, does the work and releases the machine, in one event loop;
    a machine that cannot evaluate exits 3 with what to do."""

    async def session() -> T:
        try:
            await machine.check()
            return await work()
        finally:
            await machine.aclose()

    try:
        return asyncio.run(session())
    except MachineError as exc:
        _machine_error(exc)


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
@click.option("--machine", help=f"Benchmark machine: {address_forms()}.")
@click.option("--seed", type=int, help="Seed for the kill moment and canary (default: random).")
@allow_smaller_machine_option
def bench(
    spec: Path,
    store: Path,
    size: str,
    json_out: Path | None,
    machine: str | None,
    seed: int | None,
    allow_smaller_machine: bool,
) -> None:
    """Build, gate and benchmark the store in DIR for SPEC.

    Exit 0 when every gate passes, 1 when a gate fails, 2 for a usage or spec error,
    3 when the machine cannot evaluate (with what to install) or is smaller than the card
    (without --allow-smaller-machine).
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
        spec=card,
        store_dir=store,
        size="full" if size == "full" else "quick",
        seed=seed,
        allow_smaller_machine=allow_smaller_machine,
    )
    try:
        result = on_machine(bench_machine, lambda: evaluate(request, bench_machine, progress))
    finally:
        progress.done()
    print_result(result)
    if json_out is not None:
        tmp = json_out.with_name(json_out.name + ".tmp")
        tmp.write_text(result.model_dump_json(indent=2))
        os.replace(tmp, json_out)
    raise SystemExit(0 if result.verdict == "pass" else EXIT_GATE_FAILED)
