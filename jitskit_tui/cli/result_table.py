"""Printing evaluation results as tables a person reads in a terminal."""

from __future__ import annotations

import click

from jitskit_tui.protocol.results import EvalResult
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
        click.echo(f"  throughput: {result.throughput_ops_s:,.0f} ops/s{counts}")
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
    if result.smaller_machine:
        click.echo(f"  note: every figure above was {result.smaller_machine}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
