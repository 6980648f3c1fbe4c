"""`jitskit compare SPEC A B`: two stores gated and measured as paired, interleaved trials
in one evaluation; the ratio B/A with its interval and a verdict."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

from jitskit_tui.cli.bench_cmd import (
    EXIT_GATE_FAILED,
    EXIT_USAGE,
    allow_smaller_machine_option,
    load_or_exit,
    machine_or_exit,
    on_machine,
)
from jitskit_tui.cli.progress import ProgressLine
from jitskit_tui.cli.result_table import print_conditions, print_trials
from jitskit_tui.engine.compare import (
    FORMS,
    SIDE_A,
    SIDE_B,
    SideError,
    compare_stores,
    failed_sides,
    ratio_of,
    resolve,
)
from jitskit_tui.machine_kinds import address_forms
from jitskit_tui.protocol.results import EvalResult, GateResult
from jitskit_tui.protocol.texts import interval_ratio_text, one_line, throughput_text


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.argument("side_a", metavar="A")
@click.argument("side_b", metavar="B")
@click.option("--quick", "size", flag_value="quick", default=True, help="Quick size (default).")
@click.option("--full", "size", flag_value="full", help="The spec's full size.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path),
    help="Write ratio, interval, verdict, trials and conditions as JSON to this file.",
)
@click.option("--machine", help=f"Benchmark machine: {address_forms()}.")
@click.option("--seed", type=int, help="Seed for the order of trials and the gates' draws.")
@allow_smaller_machine_option
def compare(
    spec: Path,
    side_a: str,
    side_b: str,
    size: str,
    json_out: Path | None,
    machine: str | None,
    seed: int | None,
    allow_smaller_machine: bool,
) -> None:
    """Compare store B with store A on SPEC: paired trials, the ratio B/A and a verdict.

    A and B are each a store folder, RUN@N (iteration N of a run) or baseline:NAME.
    Exit 0 whatever the verdict, 1 when a gate fails on either side, 2 for a usage or
    spec error, 3 when the machine cannot evaluate or is smaller than the card (unless
    --allow-smaller-machine: every figure is then marked).
    """
    card = load_or_exit(spec)
    with tempfile.TemporaryDirectory(prefix="jitskit-compare-") as scratch:
        try:
            a = resolve(side_a, Path(scratch) / "a")
            b = resolve(side_b, Path(scratch) / "b")
        except SideError as exc:
            click.echo(f"jitskit: {exc}; A and B are each {FORMS}", err=True)
            raise SystemExit(EXIT_USAGE) from None
        bench_machine = machine_or_exit(machine or card.environment.machine)
        progress = ProgressLine(card.name)
        try:
            result = on_machine(
                bench_machine,
                lambda: compare_stores(
                    card,
                    a,
                    b,
                    bench_machine,
                    progress,
                    size="full" if size == "full" else "quick",
                    seed=seed,
                    allow_smaller_machine=allow_smaller_machine,
                ),
            )
        finally:
            progress.done()
    failures = failed_sides(result)
    _print(result, side_a, side_b, failures)
    if json_out is not None:
        tmp = json_out.with_name(json_out.name + ".tmp")
        tmp.write_text(json.dumps(compare_json(result, side_a, side_b), indent=2))
        os.replace(tmp, json_out)
    raise SystemExit(EXIT_GATE_FAILED if failures else 0)


def _print(
    result: EvalResult, side_a: str, side_b: str, failures: list[tuple[str, GateResult]]
) -> None:
    comparison = ratio_of(result)
    click.echo(f"\nA = {side_a}\nB = {side_b}")
    if comparison is not None:
        click.echo(f"B/A = {interval_ratio_text(comparison.ratio)}  {comparison.verdict}")
        click.echo(
            f"  paired over {comparison.ratio.n} rounds; 95% interval "
            f"({comparison.ratio.method}, corrected for {_looks(comparison.ratio.looks)})"
        )
    else:
        click.echo("B/A: not measured (a side failed before its trials ended)")
    for side, gate in failures:
        click.echo(f"  {side} failed the {gate.name} gate: {one_line(gate.detail, 200)}")
    peer = result.peers.get(SIDE_A)
    for name, figure in ((SIDE_A, peer.throughput if peer else None), (SIDE_B, result.throughput)):
        if figure is not None:
            click.echo(f"  {name}: {throughput_text(figure)}")
    trials = sorted(
        [*(peer.trials if peer else []), *result.trials], key=lambda t: (t.index, t.side)
    )
    if trials:
        print_trials(trials, indent="    ")
    click.echo(f"  machine: {result.machine.describe()}")
    if result.smaller_machine:
        click.echo(f"  note: every figure above was {result.smaller_machine}")
    if result.floor_ns_per_op is not None:
        click.echo(f"  driver floor: {result.floor_ns_per_op:.1f} CPU ns per operation per thread")
    if result.conditions is not None:
        print_conditions(result.conditions, indent="  ")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")


def compare_json(result: EvalResult, side_a: str, side_b: str) -> dict[str, object]:
    """What `--json` writes: the ratio B/A, its interval, the verdict, every trial."""
    comparison = ratio_of(result)
    peer = result.peers.get(SIDE_A)
    return {
        "a": side_a,
        "b": side_b,
        "ratio": comparison.ratio.point if comparison else None,
        "ci_low": comparison.ci_low if comparison else None,
        "ci_high": comparison.ci_high if comparison else None,
        "verdict": comparison.verdict if comparison else None,
        "interval": comparison.ratio.model_dump() if comparison else None,
        "trials": {
            SIDE_A: [t.model_dump() for t in peer.trials] if peer else [],
            SIDE_B: [t.model_dump() for t in result.trials],
        },
        "throughput": {
            SIDE_A: peer.throughput.model_dump() if peer and peer.throughput else None,
            SIDE_B: result.throughput.model_dump() if result.throughput else None,
        },
        "gates": {
            SIDE_A: [g.model_dump() for g in peer.gates] if peer else [],
            SIDE_B: [g.model_dump() for g in result.gates],
        },
        "failed": [
            {"side": side, "gate": gate.name, "detail": gate.detail}
            for side, gate in failed_sides(result)
        ],
        "conditions": result.conditions.model_dump() if result.conditions else None,
        "machine": result.machine.model_dump(),
        "floor_ns_per_op": result.floor_ns_per_op,
        "warnings": result.warnings,
        "smaller_machine": result.smaller_machine,
    }


def _looks(count: int) -> str:
    return "1 look" if count == 1 else f"{count} looks"
