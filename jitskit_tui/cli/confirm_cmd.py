"""`jitskit confirm RUN`: measure a run's headline now, on a run that is not live."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from jitskit_tui.cli.bench_cmd import (
    EXIT_MACHINE,
    EXIT_USAGE,
    allow_smaller_machine_option,
    machine_or_exit,
    on_machine,
)
from jitskit_tui.engine.baseline import measured_baselines
from jitskit_tui.engine.headline import NoHeadline, measure_headline
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.run_context import EngineError, RunContext
from jitskit_tui.engine.workspace import RunLock, WorkspaceError, find_workspace, live_engine
from jitskit_tui.machine_kinds import address_forms
from jitskit_tui.protocol.events import Event, HeadlineMeasured

EXIT_NO_HEADLINE = 1


@click.command("confirm")
@click.argument("run_name", metavar="RUN")
@click.option("--machine", help=f"Benchmark machine (default: the run's): {address_forms()}.")
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path),
    help="Also write the headline (results/headline.json's content and its commit) here.",
)
@allow_smaller_machine_option
def confirm(
    run_name: str, machine: str | None, json_out: Path | None, allow_smaller_machine: bool
) -> None:
    """Measure RUN's headline: its best store at the full size on a held-out trace seed,
    paired against the best comparable baseline and every baseline whose cached figure
    is within 2x of the best's (the others listed unpaired).

    Writes results/headline.json, commits it on the `best` branch (trailer
    Jitskit-Headline) and logs it in the run. A run started without baselines has them
    measured first (cached per machine). A live run takes `jitskit control RUN confirm`.
    Exit 0 when measured, 1 when the run has no headline (no passing iteration, or the
    best failed a gate at the full size), 2 usage, 3 machine or a live run.
    """
    try:
        ws = find_workspace(run_name)
        holder = live_engine(ws)
    except (WorkspaceError, OSError) as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    if holder is not None:
        click.echo(
            f"jitskit: {ws.name} is live (process {holder.pid}); ask it with "
            f"`jitskit control {ws.ref} confirm`",
            err=True,
        )
        raise SystemExit(EXIT_MACHINE)
    lock = RunLock(ws)
    try:
        lock.acquire()
        run = RunContext.open(ws)
    except (WorkspaceError, EngineError) as exc:
        lock.release()
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    narrator = Narrator()

    def say(event: Event) -> None:
        line = narrator.line(event)
        if line:
            click.echo(line)

    run.log.subscribe(say)
    bench_machine = machine_or_exit(machine or run.state.machine or run.spec.environment.machine)
    try:
        event = on_machine(
            bench_machine,
            lambda: measure_headline(
                run,
                bench_machine,
                baselines=measured_baselines,
                live=False,
                allow_smaller_machine=allow_smaller_machine,
            ),
        )
    except NoHeadline as exc:
        click.echo(f"{ws.name}: no headline: {exc}", err=True)
        raise SystemExit(EXIT_NO_HEADLINE) from None
    finally:
        run.log.close()
        lock.release()
    if json_out is not None:
        _write_json(json_out, event)
    if not event.counts:
        raise SystemExit(EXIT_NO_HEADLINE)


def _write_json(path: Path, event: HeadlineMeasured) -> None:
    data = event.model_dump(mode="json", exclude={"seq", "ts", "iteration", "type"})
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)
