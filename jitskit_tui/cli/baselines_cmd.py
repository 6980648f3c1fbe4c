"""`jitskit baselines`: measure the real off-the-shelf stores on a spec."""

from __future__ import annotations

import os
from pathlib import Path

import click

from jitskit_tui.cli.bench_cmd import (
    EXIT_USAGE,
    allow_smaller_machine_option,
    load_or_exit,
    machine_or_exit,
    on_machine,
)
from jitskit_tui.cli.progress import ProgressLine
from jitskit_tui.cli.result_table import print_result
from jitskit_tui.harness.baseline_runs import none_passed, paired_baselines, run_baselines
from jitskit_tui.harness.eval_run import EvalObserver
from jitskit_tui.machine_kinds import address_forms
from jitskit_tui.protocol.texts import throughput_text


@click.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--only", help="Comma-separated baselines: rocksdb,leveldb,lmdb,tbb-chm,mutex-map.")
@click.option("--refresh", is_flag=True, help="Measure again instead of using cached results.")
@click.option("--full", "full", is_flag=True, help="The spec's full size instead of quick.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path),
    help="Write every result and the best comparable one as JSON to this file.",
)
@click.option("--machine", help=f"Benchmark machine: {address_forms()}.")
@allow_smaller_machine_option
def baselines(
    spec: Path,
    only: str | None,
    refresh: bool,
    full: bool,
    json_out: Path | None,
    machine: str | None,
    allow_smaller_machine: bool,
) -> None:
    """Run each baseline on SPEC and name the best comparable one.

    Comparable: meets the spec's durability and operations, and passes the gates.
    """
    card = load_or_exit(spec)
    names = only.split(",") if only else None
    bench_machine = machine_or_exit(machine or card.environment.machine)

    def observer(name: str) -> EvalObserver:
        return ProgressLine(name)

    try:
        report = on_machine(
            bench_machine,
            lambda: run_baselines(
                card,
                bench_machine,
                only=names,
                refresh=refresh,
                size="full" if full else "quick",
                observer_for=observer,
                allow_smaller_machine=allow_smaller_machine,
            ),
        )
    except ValueError as exc:
        click.echo(f"jitskit: --only: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    for result in report.results:
        print_result(result)
    click.echo("")
    for result in report.results:
        figure = (
            throughput_text(result.throughput)
            if result.throughput
            else f"{result.throughput_ops_s:,.0f} ops/s"
        )
        verdict = "pass" if result.counts else "FAIL"
        cached = (
            "  (cached: measured alone earlier, unpaired)" if result.name in report.cached else ""
        )
        click.echo(f"{result.name}: {verdict}, {figure}{cached}")
    for name, why in report.skipped.items():
        click.echo(f"{name}: not comparable ({why})")
    if report.best_comparable:
        paired = ", ".join(paired_baselines(report))
        click.echo(
            f"best comparable: {report.best_comparable} ({report.best_comparable_ops_s:,.0f} "
            f"ops/s); a candidate is paired against: {paired}"
        )
    else:
        click.echo(f"best comparable: {none_passed(report)}")
    if json_out is not None:
        tmp = json_out.with_name(json_out.name + ".tmp")
        tmp.write_text(report.model_dump_json(indent=2))
        os.replace(tmp, json_out)
