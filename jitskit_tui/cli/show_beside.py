"""`jitskit show RUN --beside [OTHER] [--compare]`: two runs of one card side by side (a
naive run beside a pipeline run, by default the newest of the other kind), and their
stores' paired comparison: the one kept in a run's folder, or measured now."""

from __future__ import annotations

import itertools
import shutil
import textwrap

import click

from jitskit_tui.cli.bench_cmd import EXIT_GATE_FAILED, EXIT_USAGE, machine_or_exit, on_machine
from jitskit_tui.cli.progress import ProgressLine
from jitskit_tui.engine import beside
from jitskit_tui.engine.beside import BesideError, RunSide
from jitskit_tui.engine.beside_cache import Cached, load
from jitskit_tui.engine.beside_text import (
    Row,
    claim_lines,
    comparison_lines,
    failure_lines,
    side_rows,
)

LABEL_WIDTH = 16
MEASURE_HINT = "add --compare"


def show_beside(
    run: str,
    iteration: int | None,
    other: str,
    *,
    compare: bool,
    full: bool,
    machine: str | None,
) -> None:
    """Prints run ``run`` (or ``RUN@N``) beside ``other`` (or the newest run of the other
    kind of its card) side by side; with ``compare``, measures their stores first.
    Exits 2 when they cannot be put side by side, 1 when ``compare`` finds (or knows) a
    store that fails a gate, 3 when the machine cannot evaluate."""
    try:
        ws, written = beside.open_run(run)
        if iteration is not None and written is not None and iteration != written:
            raise BesideError(f"{run} and {iteration}: two iterations for one run; give one")
        left = beside.read_side(ws, iteration or written)
        if other:
            other_ws, other_iteration = beside.open_run(other)
        else:
            other_ws, other_iteration = beside.counterpart(left), None
        right = beside.read_side(other_ws, other_iteration)
        beside.check_pair(left, right)
    except BesideError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    a, b = beside.orient(left, right)
    cached = load(left.ws, right.ws)
    failed = False
    if compare:
        blocked = beside.why_not_measured(a, b)
        if blocked:
            failed = True
        else:
            cached = _measure(a, b, full=full, machine=machine)
            failed = bool(cached.measurement and cached.measurement.failures)
    _print(left, right, a, b, cached)
    if failed:
        raise SystemExit(EXIT_GATE_FAILED)


def _measure(a: RunSide, b: RunSide, *, full: bool, machine: str | None) -> Cached:
    label = beside.machine_label(a, b, machine)
    bench_machine = machine_or_exit(label)
    click.echo(f"measuring {b.label} beside {a.label} on {label} (paired trials) ...", err=True)
    progress = ProgressLine(a.spec.name)
    try:
        measurement, path = on_machine(
            bench_machine,
            lambda: beside.measure(a, b, bench_machine, progress, size="full" if full else "quick"),
        )
    except BesideError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    finally:
        progress.done()
    return Cached(path, measurement)


def _print(left: RunSide, right: RunSide, a: RunSide, b: RunSide, cached: Cached | None) -> None:
    click.echo(f"{left.ws.name} beside {right.ws.name} (card {left.spec.name})\n")
    width = shutil.get_terminal_size((100, 24)).columns
    column = max(24, (width - LABEL_WIDTH - 4) // 2)
    header: Row = ("", left.ws.name, right.ws.name)
    for row in [header, *side_rows(left, right)]:
        _print_row(row, column)
    for lines in (
        claim_lines(left),
        claim_lines(right),
        failure_lines(left),
        failure_lines(right),
    ):
        if lines:
            click.echo("\n" + "\n".join(lines))
    click.echo("\npaired comparison of their stores:")
    for line in comparison_lines(a, b, cached, MEASURE_HINT):
        click.echo(f"  {line}")


def _print_row(row: Row, column: int) -> None:
    what, *values = row
    wrapped = [textwrap.wrap(v, column) or [""] for v in values]
    for i, parts in enumerate(itertools.zip_longest(*wrapped, fillvalue="")):
        label = what if i == 0 else ""
        cells = "".join(f"{p:<{column + 1}}" for p in parts)
        click.echo(f"  {label:<{LABEL_WIDTH}}{cells}".rstrip())
