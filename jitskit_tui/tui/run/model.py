"""Everything the dashboard shows about one run, folded from its events.

:class:`RunView` wraps the engine's own fold (:class:`RunState`: iterations, best,
steering, proposals, cost, sessions) and adds what only a viewer needs: the transcript,
each gate's status across iterations, each iteration's benchmark figures, and the
benchmark running now. Each part has a revision counter, so a widget redraws only when
its part moved. Folding never raises: an event the fold cannot take becomes a notice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from jitskit_tui.engine.state import IterationView, RunState
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    AuditTestAdded,
    BaselineKnown,
    BenchResult,
    BenchTickEvent,
    BestFellBack,
    BestMoved,
    CommitMade,
    ErrorRaised,
    EvalBudgetAnnounced,
    EvalProgress,
    EvalStarted,
    EvalStep,
    Event,
    GateResulted,
    HeadlineMeasured,
    IterationFinished,
    IterationStarted,
    LogCorrupt,
    LoopStateChanged,
    RunFinished,
    RunResumed,
    RunStarted,
    TrialFinished,
)
from jitskit_tui.protocol.results import GATE_ORDER
from jitskit_tui.tui.run.live import LiveBench
from jitskit_tui.tui.run.transcript import Transcript

Part = Literal["status", "iterations", "gates", "bench", "live", "steering", "proposals"]
PARTS: tuple[Part, ...] = (
    "status",
    "iterations",
    "gates",
    "bench",
    "live",
    "steering",
    "proposals",
)


@dataclass(frozen=True)
class GateCell:
    passed: bool
    severity: Literal["gate", "log"]
    detail: str


@dataclass
class AuditTestInfo:
    id: str
    severity: Literal["log", "gate"]
    invariant: str
    iteration: int | None


class RunView:
    """One run as the dashboard sees it."""

    def __init__(self) -> None:
        self.state = RunState()
        self.transcript = Transcript()
        self.gates: dict[str, dict[int, GateCell]] = {}
        self.audit_tests: dict[str, AuditTestInfo] = {}
        self.bench: dict[int, BenchResult] = {}
        self.trials: dict[int, dict[str, list[float]]] = {}
        """Each iteration's trials by side (`candidate`, `incumbent`, `baseline:NAME`):
        their steady throughputs, in order (the baselines' whiskers in the chart)."""
        self.best_after: dict[int, int | None] = {}
        """The best once each iteration was decided (a fallback in it included)."""
        self.live: LiveBench | None = None
        self.last_ticked: LiveBench | None = None
        """The last evaluation that ticked (the live chart shows it until the next one)."""
        self.machine_detail = ""
        """Where numbers were measured, as the last result said (`local: AMD EPYC, 2 CPUs`)."""
        self.last_error: ErrorRaised | None = None
        self.alerts: list[ErrorRaised | RunFinished | BestFellBack | HeadlineMeasured] = []
        """Fatal errors, the run's end, the best falling back, a headline measured: what a
        person watching should be told."""
        self.events_applied = 0
        self.fold_problems = 0
        self.revisions: dict[Part, int] = dict.fromkeys(PARTS, 0)
        self._clock_base: float | None = None

    # -- folding ------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Folds one event; a malformed one is noted in the transcript, never raised."""
        self.events_applied += 1
        problems = self.state.problem_count
        try:
            self.state.apply(event)
        except Exception as exc:  # the engine's fold never raises; if it ever does: go on
            self.fold_problems += 1
            self.transcript.notice(
                f"event {event.seq} ({event.type}) could not be applied: {exc!r}", "warning"
            )
            self._bump("status")
            return
        if self.state.problem_count > problems:
            self._odd_event(event)
        try:
            self.transcript.apply(event)
            self._fold(event)
        except Exception as exc:
            self.fold_problems += 1
            self.transcript.notice(
                f"event {event.seq} ({event.type}) could not be shown: {exc!r}", "warning"
            )

    def _odd_event(self, event: Event) -> None:
        """The fold took an event that did not fit (a finish without a start): say so."""
        self.fold_problems += 1
        known = self.state.problems
        text = (
            known[-1]
            if len(known) == self.state.problem_count
            else f"event {event.seq} ({event.type}) could not be applied as it is"
        )
        self.transcript.notice(text, "warning")
        self._bump("status", "iterations")

    def _bump(self, *parts: Part) -> None:
        for part in parts:
            self.revisions[part] += 1

    def _fold(self, event: Event) -> None:
        match event:
            case BenchTickEvent():
                live = self.live
                if live is None or live.iteration != event.iteration:
                    live = self.live = LiveBench(event.iteration, event.purpose, self.state.machine)
                live.tick(event)
                self.last_ticked = live
                live.step = "benchmark"
                self._bump("live")
            case TrialFinished():
                if self.live is not None:
                    self.live.trial_finished(event)
                if event.purpose == "iteration" and event.iteration is not None:
                    sides = self.trials.setdefault(event.iteration, {})
                    sides.setdefault(event.side, []).append(event.throughput_ops_s)
                self._bump("live")
            case EvalStarted():
                self.live = LiveBench(event.iteration, event.purpose, event.machine, event.name)
                self._bump("live", "status")
            case EvalStep():
                if self.live is not None:
                    self.live.step = event.step
                    self.live.progress = None
                self._bump("status")
            case EvalBudgetAnnounced():
                if self.live is not None:
                    self.live.budget = event
                self._bump("status")
            case EvalProgress():
                if self.live is not None:
                    self.live.progress = event
                self._bump("status")
            case GateResulted():
                if event.purpose == "iteration" and event.iteration is not None:
                    row = self.gates.setdefault(event.name, {})
                    row[event.iteration] = GateCell(event.passed, event.severity, event.detail)
                    self._bump("gates")
            case BenchResult():
                if self.live is not None:
                    self.live.running = False
                if event.purpose == "iteration" and event.iteration is not None:
                    self.bench[event.iteration] = event
                    if event.machine and event.throughput_ops_s > 0:
                        smaller = " · smaller than the card" if event.smaller_machine else ""
                        self.machine_detail = event.machine + smaller
                    self._bump("bench", "status")
                self._bump("live")
            case AuditTestAdded():
                self.audit_tests[event.test_id] = AuditTestInfo(
                    event.test_id, event.severity, event.invariant, event.iteration
                )
                self._bump("gates")
            case IterationStarted() | IterationFinished() | CommitMade() | AgentTurnFinished():
                if isinstance(event, IterationFinished):
                    if self.live is not None:
                        self.live.running = False
                    if event.iteration is not None:
                        self.best_after[event.iteration] = self.state.best_iteration
                self._bump("iterations", "status", "bench")
            case ErrorRaised():
                self.last_error = event
                if event.fatal:
                    self.alerts.append(event)
                self._bump("status")
            case BaselineKnown():
                # Every ratio shown is against the latest baseline: the table restates them.
                self._bump("status", "bench", "iterations")
            case BestMoved() | BestFellBack() | HeadlineMeasured():
                if not isinstance(event, BestMoved):
                    self.alerts.append(event)
                self._bump("status", "bench", "iterations")
            case LoopStateChanged() | RunStarted() | RunResumed() | RunFinished():
                if isinstance(event, RunFinished):
                    self.alerts.append(event)
                    if self.live is not None:
                        self.live.running = False
                self._bump("status", "bench")
            case LogCorrupt():
                self._bump("status")
            case _:
                pass
        kind = event.type
        if kind.startswith("steering_"):
            self._bump("steering")
        elif kind.startswith("proposal_"):
            self._bump("proposals", "gates")
        elif kind == "cost_update":
            self._bump("status")

    def notice(self, text: str, severity: Literal["info", "warning", "error"] = "info") -> None:
        self.transcript.notice(text, severity)
        self._bump("status")

    # -- what the widgets ask --------------------------------------------------------------

    def iterations(self) -> list[IterationView]:
        return [self.state.iterations[n] for n in sorted(self.state.iterations)]

    def gate_names(self) -> list[str]:
        """Gates in the evaluator's order, then audit tests, then anything else seen."""
        seen = list(self.gates)
        ordered = [g for g in GATE_ORDER if g in self.gates]
        audits = sorted(g for g in seen if g.startswith("audit"))
        for test in self.audit_tests:
            name = f"audit/{test}"
            if name not in audits and name not in seen:
                audits.append(name)
        rest = [g for g in seen if g not in ordered and g not in audits]
        return ordered + audits + rest

    def audit_info(self, gate: str) -> AuditTestInfo | None:
        return self.audit_tests.get(gate.removeprefix("audit/"))

    def previous_throughput(self, iteration: IterationView) -> float | None:
        """The parent's throughput (what a change is measured against)."""
        parent = self.state.iterations.get(iteration.parent_iteration)
        return parent.throughput_ops_s if parent and parent.state == "done" else None

    @property
    def live_session(self) -> bool:
        return self.state.status == "running"

    def elapsed_seconds(self, *, live: bool) -> float:
        """Active time of every stint of the run; a live one counts up to now."""
        return self.state.active_seconds_at(time.time() if live else None)
