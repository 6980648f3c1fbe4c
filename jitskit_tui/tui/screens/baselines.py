"""Running the real baselines (RocksDB, LevelDB, LMDB, oneTBB, a locked map) for a run's
card on its machine: choose which, watch each one's progress, read the results.

Results are cached per spec, machine and library version, so a second run is instant.
The dialog is for a run nobody is running (a replay, a finished run): the results are
shown, and the run's ratio is not changed. On a live run the dashboard asks the engine
instead (the `baselines` control), which measures them between iterations and restates
the ratio against them.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, SelectionList, Static

from jitskit_tui.protocol.results import (
    BaselineReport,
    BenchTick,
    EvalBudget,
    GateResult,
    PhaseProgress,
    TrialFigures,
)
from jitskit_tui.spec import SpecCard
from jitskit_tui.spec.units import format_span
from jitskit_tui.tui.run.formatting import ops_text


class _Progress:
    """An evaluation observer that writes one baseline's progress into a line."""

    def __init__(self, dialog: BaselinesDialog, name: str) -> None:
        self.dialog = dialog
        self.name = name

    def on_step(self, step: str) -> None:
        self.dialog.progress(f"{self.name}: {step}…")

    def on_tick(self, tick: BenchTick) -> None:
        trial = "" if tick.trial is None else f" trial {tick.trial + 1}"
        self.dialog.progress(
            f"{self.name}: benchmark{trial} {tick.t_s:.1f}s, {ops_text(tick.ops_s)}"
        )

    def on_trial(self, figures: TrialFigures) -> None:
        self.dialog.progress(
            f"{self.name}: trial {figures.index + 1}, {ops_text(figures.throughput_ops_s)}"
        )

    def on_gate(self, gate: GateResult) -> None:
        if not gate.passed:
            self.dialog.progress(f"{self.name}: {gate.name} failed")

    def on_budget(self, budget: EvalBudget) -> None:
        self.dialog.progress(f"{self.name}: at most {format_span(budget.overall_s)}")

    def on_progress(self, progress: PhaseProgress) -> None:
        self.dialog.progress(f"{self.name}: {progress.text()}")


class BaselinesDialog(ModalScreen[BaselineReport | None]):
    """Space toggles a baseline, Enter (on Run) measures them; Esc closes."""

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, spec: SpecCard, machine_label: str) -> None:
        super().__init__()
        self._spec = spec
        self._machine_label = machine_label
        self._report: BaselineReport | None = None

    def compose(self) -> ComposeResult:
        from jitskit_tui.harness.baseline_catalog import BASELINES, comparable

        usable = comparable(
            BASELINES, self._spec.requirement.durability, set(self._spec.requirement.operations)
        )
        with Vertical(classes="dialog baselines"):
            yield Label(
                f"Baselines for {self._spec.name} on {self._machine_label}",
                classes="dialog-title",
            )
            yield SelectionList[str](
                *((b.name, b.name, True) for b in usable), id="baseline-choice"
            )
            yield Static("", id="baseline-progress", classes="dialog-note")
            yield DataTable(id="baseline-results", cursor_type="row")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run", id="run", variant="primary")
                yield Button("Close", id="close")
            yield Static(
                "Space choose · Tab to Run · results are cached per machine · Esc close",
                classes="dialog-note",
            )

    def on_mount(self) -> None:
        table = self.query_one("#baseline-results", DataTable)
        table.add_columns("baseline", "verdict", "throughput", "note")
        table.display = False
        self.query_one("#baseline-choice", SelectionList).focus()

    def progress(self, text: str) -> None:
        self.query_one("#baseline-progress", Static).update(Content(text))

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        chosen = list(self.query_one("#baseline-choice", SelectionList).selected)
        if not chosen:
            self.progress("Choose at least one baseline (Space).")
            return
        self.query_one("#run", Button).disabled = True
        self._measure(chosen)

    @work(exclusive=True, group="baselines", exit_on_error=False)
    async def _measure(self, names: list[str]) -> None:
        import asyncio

        from jitskit_tui.harness.baseline_runs import run_baselines
        from jitskit_tui.sandbox.base import MachineError
        from jitskit_tui.sandbox.machines import machine_for

        try:
            machine = await asyncio.to_thread(machine_for, self._machine_label)
            self.progress(f"measuring {', '.join(names)} (cached ones are instant)…")
            report = await run_baselines(
                self._spec, machine, only=names, observer_for=lambda n: _Progress(self, n)
            )
        except MachineError as exc:
            self.progress(f"cannot evaluate on {exc.machine}: {exc.message} {exc.hint}".strip())
            self.query_one("#run", Button).disabled = False
            return
        except Exception as exc:  # a baseline that cannot build: say so, stay open
            self.progress(f"measuring the baselines failed: {exc}")
            self.query_one("#run", Button).disabled = False
            return
        self._report = report
        self._show(report)
        self.query_one("#run", Button).disabled = False

    def _show(self, report: BaselineReport) -> None:
        table = self.query_one("#baseline-results", DataTable)
        table.clear()
        for result in report.results:
            failed = ", ".join(g.name for g in result.failed_gates)
            table.add_row(
                Text(result.name),
                Text(result.verdict),
                Text(ops_text(result.throughput_ops_s)),
                Text(f"failed: {failed}" if failed else ""),
            )
        for name, why in report.skipped.items():
            table.add_row(Text(name), Text("skipped"), Text("—"), Text(why))
        table.display = True
        best = (
            f"best comparable: {report.best_comparable} ({ops_text(report.best_comparable_ops_s)})"
            if report.best_comparable
            else "no baseline passed the gates"
        )
        self.progress(best)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self._report)
