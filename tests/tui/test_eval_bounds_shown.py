"""What the app shows of an evaluation's bounds: its overall bound as it starts, each
phase's progress against its budget, and the mark of a smaller machine; all from the
events the evaluator's observer logs (throttled)."""

from __future__ import annotations

from jitskit_tui.engine.reporting import EvalEvents
from jitskit_tui.protocol.events import (
    BenchResult,
    EvalProgress,
    EvalStarted,
    Event,
    IterationStarted,
)
from jitskit_tui.protocol.results import EvalBudget, PhaseBudget, PhaseProgress
from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.widgets.iterations_table import ratio_note
from jitskit_tui.tui.widgets.status_bar import state_words

LOAD = PhaseBudget(
    phase="load", seconds=120.0, allowance_s=20.0, work=1_000_000, unit="records", rate=10_000
)


def live_view() -> tuple[RunView, EvalEvents, list[Event]]:
    view, logged = RunView(), []

    def emit(event: Event) -> Event:
        logged.append(event)
        view.apply(event)
        return event

    emit(IterationStarted(iteration=1, step=1, parent_iteration=0, branch="main"))
    emit(EvalStarted(iteration=1, purpose="iteration", size="quick", machine="local"))
    return view, EvalEvents(emit, lambda state: None, "iteration", 1), logged


def test_the_bound_shows_as_the_evaluation_starts() -> None:
    view, observer, logged = live_view()
    observer.on_budget(EvalBudget(phases=[LOAD], overall_s=545.0, rate=1000, floor_rate=1000))
    assert logged[-1].type == "eval_budget"
    words, _ = state_words(view)
    assert words.endswith("evaluation bound 9.1 min")


def test_the_load_shows_its_count_rate_and_budget_a_few_times_a_second() -> None:
    view, observer, logged = live_view()
    for done in range(0, 212_001, 1000):  # ten harness lines a second, in a burst
        observer.on_progress(PhaseProgress("load", done, 1_000_000, "records", 1800, 118, 120))
    shown = [e for e in logged if isinstance(e, EvalProgress)]
    assert len(shown) == 1, "a burst of progress lines is one event"
    observer._last_progress = 0.0  # the throttle's interval has passed
    observer.on_progress(PhaseProgress("load", 212_000, 1_000_000, "records", 1800, 118, 120))
    words, _ = state_words(view)
    assert words.endswith("load 212k/1M records · 1.8k/s · budget 2 min")


def test_figures_from_a_smaller_machine_are_marked() -> None:
    view, _, _ = live_view()
    view.apply(
        BenchResult(
            iteration=1,
            purpose="iteration",
            verdict="pass",
            throughput_ops_s=1e6,
            machine="local: Xeon, 2 CPUs",
            smaller_machine="measured on a smaller machine than the card: card 4 CPUs, machine 2",
        )
    )
    assert view.machine_detail == "local: Xeon, 2 CPUs · smaller than the card"
    assert ratio_note(view).endswith(
        "† measured on a smaller machine than the card: card 4 CPUs, machine 2"
    )
