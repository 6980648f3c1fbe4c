"""`jitskit sweep SPEC...`: one refinement loop per card, several at a time, in this
terminal; `jitskit sweep --resume DIR` (or `jitskit resume DIR`) continues a sweep that
was stopped or killed. Each loop prints its lines under its card's name; the app shows the
sweep (`jitskit tui DIR`) and any of its runs."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import click

from jitskit_tui.cli.flags import (
    EXIT_USAGE,
    MACHINE_HELP,
    agent_flags,
    baselines_option,
    given_options,
    launch_failed,
    seed_option,
    smaller_option,
)
from jitskit_tui.cli.headless import EXIT_ABORTED, EXIT_FAILED
from jitskit_tui.engine.loop import Engine
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.launch.choices import LaunchError, RunChoices
from jitskit_tui.protocol.controls import Abort
from jitskit_tui.protocol.events import BenchTickEvent, Event
from jitskit_tui.sweep.folder import SweepError, SweepFolder, find_sweep
from jitskit_tui.sweep.log import (
    RunEnded,
    RunLaunched,
    RunNotLaunched,
    SweepControlled,
    SweepEvent,
    SweepFinished,
    SweepStarted,
)
from jitskit_tui.sweep.manifest import SweepEntry, SweepManifest
from jitskit_tui.sweep.runner import SweepRunner
from jitskit_tui.sweep.setup import MAX_PARALLEL, SweepChoices, create_sweep, reopen_sweep

EXIT_FOR_SWEEP = {"finished": 0, "stopped": 0, "failed": EXIT_FAILED, "aborted": EXIT_ABORTED}


class SweepPrinter:
    """Each run's lines (as `jitskit run --headless` words them) under its card's name,
    and the sweep's own."""

    def __init__(self, manifest: SweepManifest) -> None:
        self.manifest = manifest
        names = [e.spec_name for e in manifest.entries]
        # A card swept twice is told apart by its place in the sweep.
        self.tags = [
            name if names.count(name) == 1 else f"{name}#{index}"
            for index, name in enumerate(names, start=1)
        ]
        self.width = max(len(tag) for tag in self.tags)

    def _say(self, entry: int, text: str) -> None:
        tag = self.tags[entry]
        for line in text.splitlines() or [""]:
            click.echo(f"[{tag:<{self.width}}] {line}")

    def watch(self, entry: SweepEntry, engine: Engine) -> None:
        narrator = Narrator()
        index = self.manifest.entries.index(entry)

        def listen(event: Event) -> None:
            if isinstance(event, BenchTickEvent):
                return  # a progress bar per run would garble the terminal
            line = narrator.line(event)
            if line is not None:
                self._say(index, line)

        engine.log.subscribe(listen)

    def sweep_event(self, event: SweepEvent) -> None:
        entries = self.manifest.entries
        match event:
            case SweepStarted():
                how = "resumed" if event.resumed else "started"
                click.echo(f"sweep {how}: {len(entries)} cards, {event.parallel} at a time")
            case RunLaunched():
                how = "resumed" if event.resumed else "started"
                self._say(event.entry, f"run {how} in {entries[event.entry].workspace}")
            case RunNotLaunched():
                self._say(event.entry, f"cannot run: {event.message}")
            case RunEnded():
                self._say(event.entry, f"run ended: {event.status}")
            case SweepControlled():
                refused = "" if event.accepted else "refused: "
                click.echo(f"sweep: {event.kind} from {event.source}: {refused}{event.message}")
            case SweepFinished():
                click.echo(f"sweep {event.status}: {event.reason}")


async def drive_sweep(runner: SweepRunner) -> SweepFinished:
    """Runs the sweep to its end; Ctrl-C or SIGTERM aborts every run in it."""
    loop = asyncio.get_running_loop()

    def on_signal(name: str) -> None:
        runner.control(Abort(source=f"signal {name}"))

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
    try:
        return await runner.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run_sweep(folder: SweepFolder, manifest: SweepManifest, *, resumed: bool) -> None:
    """Runs the sweep in this terminal and exits with how it ended."""
    printer = SweepPrinter(manifest)
    click.echo(f"sweep: {folder.root}")
    click.echo(
        f"  watch it: jitskit tui {folder.root}; control it: jitskit control {folder.root} "
        "pause|resume|stop; afterwards: jitskit report " + str(folder.root)
    )
    runner = SweepRunner(
        folder, manifest, on_engine=printer.watch, on_event=printer.sweep_event, resumed=resumed
    )
    try:
        finished = asyncio.run(drive_sweep(runner))
    except SweepError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    raise SystemExit(EXIT_FOR_SWEEP[finished.status])


def resume_sweep(target: str, *, parallel: int | None, iterations: int | None) -> None:
    try:
        folder = find_sweep(target)
        manifest = reopen_sweep(folder, parallel=parallel, iterations=iterations)
    except SweepError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    run_sweep(folder, manifest, resumed=True)


@click.command("sweep")
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path), metavar="SPEC...")
@click.option(
    "--resume",
    "resume_dir",
    metavar="DIR",
    help="Continue the sweep in DIR (stopped or killed): runs not started start, runs not "
    "done resume, runs whose budget is used up are left.",
)
@click.option("--machine", help=f"{MACHINE_HELP} (default: each card's).")
@click.option(
    "--parallel",
    type=click.IntRange(1, MAX_PARALLEL),
    help="Loops running at once (default: every card on slurm://, else 2). On one host "
    "the loops' evaluations take turns whatever this is; only their agents overlap.",
)
@agent_flags
@click.option("--iterations", type=click.IntRange(1, 10_000), help="Each run's iteration budget.")
@click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    help="The sweep's folder (default: workspaces/sweep-<time>-<hex>); each card's run is a "
    "folder in it.",
)
@baselines_option
@seed_option
@smaller_option
def sweep(
    specs: tuple[Path, ...],
    resume_dir: str | None,
    machine: str | None,
    parallel: int | None,
    agent: str | None,
    iterations: int | None,
    workspace: Path | None,
    baselines: bool,
    seed: int | None,
    allow_smaller_machine: bool | None,
    **flags: Any,
) -> None:
    """Run one refinement loop per spec card, several at a time, in this terminal.

    Every loop is an ordinary run in a folder under the sweep's: its dashboard, `jitskit
    control` and `jitskit resume` work on it alone. `jitskit control DIR KIND` (pause,
    resume, stop, abort) acts on the whole sweep; `jitskit tui DIR` shows it; `jitskit
    report DIR` writes its results table. On one host (local, one Docker host) no two
    benchmarks ever run at once; on slurm:// each evaluation is its own job, up to
    --parallel at a time.

    Exit 0 when every run ended (or the sweep was stopped), 3 when a run failed or could
    not start, 4 when aborted.
    """
    if resume_dir is not None:
        if specs or machine or agent or workspace or allow_smaller_machine or given_options(flags):
            raise click.UsageError(
                "--resume continues a sweep with its own cards and choices; only --parallel "
                "and --iterations may change"
            )
        resume_sweep(resume_dir, parallel=parallel, iterations=iterations)
        return
    if not specs:
        raise click.UsageError("give the spec cards to sweep, or --resume DIR")
    choices = SweepChoices(
        RunChoices(
            agent=agent,
            agent_options=given_options(flags),
            iterations=iterations,
            baselines=baselines,
            machine=machine,
            seed=seed,
            allow_smaller_machine=bool(allow_smaller_machine),
        ),
        parallel=parallel,
    )
    try:
        folder, manifest = create_sweep(list(specs), choices, workspace)
    except LaunchError as exc:
        raise launch_failed(exc) from None
    except SweepError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    run_sweep(folder, manifest, resumed=False)
