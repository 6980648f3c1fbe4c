"""Running a loop in this terminal, without the app: one line per event that matters, a
progress bar for the running benchmark on a terminal, and the agents' words as they
stream with `--transcript`. Ctrl-C or SIGTERM aborts the run the way `jitskit control
RUN abort` does (everything written so far is kept; `jitskit resume` continues it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import click

from jitskit_tui.engine.inbox import NotLive
from jitskit_tui.engine.loop import Engine
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.harness.config import run_size
from jitskit_tui.protocol.controls import Abort
from jitskit_tui.protocol.events import (
    AgentText,
    AgentTurnStarted,
    BenchTickEvent,
    EvalProgress,
    EvalStarted,
    Event,
    RunFinished,
)
from jitskit_tui.spec import SpecCard

EXIT_FAILED = 3
EXIT_ABORTED = 4
BAR_WIDTH = 24


class HeadlessPrinter:
    """Prints the engine's events: lines, a benchmark progress bar, the transcript."""

    def __init__(self, spec: SpecCard, *, transcript: bool) -> None:
        self.narrator = Narrator()
        self.transcript = transcript
        self.tty = sys.stdout.isatty()
        self.duration_s = run_size(spec, "quick").duration_s
        """One trial's length: the bar fills once per trial."""
        self._bar = 0
        self._mid_text = False
        self._label = ""

    def _clear_bar(self) -> None:
        if self._bar:
            click.echo("\r" + " " * self._bar + "\r", nl=False)
            self._bar = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, EvalStarted):
            self._label = {"tool": " (build_and_test)", "baseline": f" ({event.name})"}.get(
                event.purpose, ""
            )
        if isinstance(event, BenchTickEvent):
            self.narrator.state.apply(event)
            if self.tty:
                self._draw_bar(event)
            return
        if isinstance(event, EvalProgress):
            self.narrator.state.apply(event)
            if self.tty and event.phase != "run":
                self._draw_progress(event)
            return
        if isinstance(event, AgentText):
            if self.transcript:
                self._clear_bar()
                click.echo(event.text, nl=False)
                self._mid_text = not event.text.endswith("\n")
            return
        if self.transcript and isinstance(event, AgentTurnStarted):
            self._end_text()
            click.echo(f"  [{event.role}]")
        line = self.narrator.line(event)
        if line is not None:
            self._clear_bar()
            self._end_text()
            click.echo(line)

    def _end_text(self) -> None:
        if self._mid_text:
            click.echo("")
            self._mid_text = False

    def _draw_bar(self, tick: BenchTickEvent) -> None:
        done = min(1.0, tick.t_s / self.duration_s if self.duration_s else 0.0)
        filled = round(done * BAR_WIDTH)
        trial = "" if tick.trial is None else f" {tick.side} trial {tick.trial + 1}"
        text = (
            f"  benchmark{self._label}{trial} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{done:4.0%} {tick.t_s:5.1f}s {tick.ops_s:>12,.0f} ops/s"
        )
        pad = max(0, self._bar - len(text))
        click.echo("\r" + text + " " * pad, nl=False)
        self._bar = len(text)

    def _draw_progress(self, event: EvalProgress) -> None:
        done = min(1.0, event.done / event.total) if event.total else 0.0
        filled = round(done * BAR_WIDTH)
        text = f"  {event.phase}{self._label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
        text += event.progress().text().removeprefix(event.phase + " ")
        pad = max(0, self._bar - len(text))
        click.echo("\r" + text + " " * pad, nl=False)
        self._bar = len(text)

    def finish(self) -> None:
        self._clear_bar()
        self._end_text()


async def drive(engine: Engine, printer: HeadlessPrinter) -> RunFinished:
    """Runs ``engine`` to its end, printing as it goes; Ctrl-C or SIGTERM aborts it."""
    engine.log.subscribe(printer)
    loop = asyncio.get_running_loop()

    def on_signal(name: str) -> None:
        with contextlib.suppress(NotLive):
            engine.handle_control(Abort(source=f"signal {name}"))

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        return await engine.run()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        printer.finish()


EXIT_FOR_STATUS = {"finished": 0, "stopped": 0, "aborted": EXIT_ABORTED, "failed": EXIT_FAILED}


def exit_code(finished: RunFinished) -> int:
    return EXIT_FOR_STATUS[finished.status]
