"""A live progress line for evaluations on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time

import click

from jitskit_tui.protocol.results import (
    BenchTick,
    EvalBudget,
    GateResult,
    PhaseProgress,
    TrialFigures,
)


class ProgressLine:
    """Implements the evaluation observer for the command line."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.step = ""
        self._last_plain = 0.0
        self._width = 0

    def _show(self, text: str, *, final: bool = False) -> None:
        if self.tty:
            pad = max(0, self._width - len(text))
            click.echo("\r" + text + " " * pad, err=True, nl=final)
            self._width = 0 if final else len(text)
        else:
            click.echo(text, err=True)

    def on_step(self, step: str) -> None:
        self.step = step
        self._show(f"{self.label}: {step} ...")

    def on_tick(self, tick: BenchTick) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last_plain < 2.0:
            return
        self._last_plain = now
        ops = ", ".join(f"{op} {count:,}" for op, count in tick.per_op.items() if count)
        trial = "" if tick.trial is None else f" {tick.side} trial {tick.trial + 1}"
        self._show(
            f"{self.label}: benchmark{trial} {tick.t_s:5.1f}s  {tick.ops_s:>12,.0f} ops/s  "
            f"{tick.ops:,} ops ({ops})"
        )

    def on_budget(self, budget: EvalBudget) -> None:
        self._show(f"{self.label}: budget: {budget.line()}", final=True)
        if budget.note:
            self._show(f"{self.label}: budget: {budget.note}", final=True)

    def on_progress(self, progress: PhaseProgress) -> None:
        if progress.phase == "run":
            return  # the run phase shows its ticks
        now = time.monotonic()
        if now - self._last_plain < (0.25 if self.tty else 2.0):
            return
        self._last_plain = now
        self._show(f"{self.label}: {progress.text()}")

    def on_trial(self, figures: TrialFigures) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last_plain < 2.0:
            return
        self._last_plain = now
        cpu = f", {figures.cpu_ns_per_op:,.0f} CPU ns/op" if figures.cpu_ns_per_op else ""
        unsteady = " (unsteady)" if figures.unsteady else ""
        self._show(
            f"{self.label}: {figures.side} trial {figures.index + 1}: "
            f"{figures.throughput_ops_s:,.0f} ops/s{cpu}{unsteady}"
        )

    def on_gate(self, gate: GateResult) -> None:
        mark = "ok  " if gate.passed else "FAIL"
        first = gate.detail.splitlines()[0] if gate.detail else ""
        self._show(f"{self.label}: {mark} {gate.name:<12} {first}"[:160], final=True)

    def done(self) -> None:
        if self.tty and self._width:
            self._show("", final=True)
