"""Printing evaluation results as tables a person reads in a terminal."""

from __future__ import annotations

import click

from jitskit_tui.protocol.measurement import MachineConditions
from jitskit_tui.protocol.results import EvalResult, TrialFigures
from jitskit_tui.protocol.texts import throughput_text
from jitskit_tui.spec.units import format_bytes


def print_result(result: EvalResult) -> None:
    click.echo(f"\n{result.name}: {'PASS' if result.verdict == 'pass' else 'FAIL'}")
    click.echo("  gates:")
    for gate in result.gates:
        mark = "ok  " if gate.passed else ("log " if gate.severity == "log" else "FAIL")
        lines = gate.detail.splitlines() or [""]
        click.echo(f"    {mark} {gate.name:<12} {lines[0]}")
        for line in lines[1:8]:
            click.echo(f"         {'':<12} {line}")
    if result.throughput_ops_s:
        counts = "" if result.counts else "  (does not count: a gate failed)"
        counts += "  (smaller machine than the card)" if result.smaller_machine else ""
        figure = (
            throughput_text(result.throughput)
            if result.throughput
            else f"{result.throughput_ops_s:,.0f} ops/s"
        )
        click.echo(f"  throughput: {figure}{counts}")
        if result.trials:
            print_trials(result.trials, indent="    ")
        if result.floor_ns_per_op is not None:
            click.echo(
                f"  driver floor: {result.floor_ns_per_op:.1f} CPU ns per operation per thread "
                "(the harness's own cost; a store near it is measured mostly on the driver)"
            )
        click.echo(
            f"    {'op':<18}{'count':>12}{'ops/s':>14}{'p50 us':>10}{'p99 us':>10}{'p99.9 us':>10}"
        )
        for op, stats in result.ops.items():
            click.echo(
                f"    {op:<18}{stats.count:>12,}{stats.ops_s:>14,.0f}{stats.p50_us:>10.2f}"
                f"{stats.p99_us:>10.2f}{stats.p999_us:>10.2f}"
            )
        click.echo(
            f"  memory: peak {format_bytes(result.memory_peak_bytes)} of "
            f"{format_bytes(result.memory_budget_bytes)} budget"
        )
    click.echo(f"  machine: {result.machine.describe()}")
    if result.conditions is not None:
        print_conditions(result.conditions, indent="  ")
    if result.smaller_machine:
        click.echo(f"  note: every figure above was {result.smaller_machine}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")


def print_trials(trials: list[TrialFigures], *, indent: str) -> None:
    """Each trial on a line: its side, round, steady throughput, CPU time per operation."""
    click.echo(f"{indent}{'side':<20}{'trial':>6}{'ops/s':>14}{'CPU ns/op':>11}{'warm-up':>9}")
    for trial in trials:
        cpu = f"{trial.cpu_ns_per_op:,.0f}" if trial.cpu_ns_per_op is not None else "-"
        flag = "  unsteady" if trial.unsteady else ""
        click.echo(
            f"{indent}{trial.side:<20}{trial.index + 1:>6}{trial.throughput_ops_s:>14,.0f}"
            f"{cpu:>11}{trial.warmup_s:>8.2f}s{flag}"
        )


def print_conditions(conditions: MachineConditions, *, indent: str) -> None:
    """The machine's load, settings and pinned CPUs around the trials, on one line."""
    before, after = conditions.load_before[0], conditions.load_after[0]
    cpus = ",".join(map(str, conditions.pinned_cpus)) or "unknown"
    click.echo(
        f"{indent}conditions: load {before:.2f} before, {after:.2f} after; governor "
        f"{conditions.governor}, SMT {conditions.smt}, THP {conditions.thp}; CPUs {cpus}"
    )
