"""Odd event logs never crash a client: events for an unknown iteration, duplicate
starts, a finish without a start, a best that is no iteration, a truncated or shuffled
log. `RunState` and the dashboard's `RunView` fold them leniently and say what did not
fit; `jitskit runs` and `jitskit show` print what they can."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from recording import RECORDED, restore

from jitskit_tui.cli.runs_cmd import runs, show
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import MAX_PROBLEMS, RunState
from jitskit_tui.protocol.events import (
    BaselineKnown,
    BestMoved,
    Event,
    IterationAbandoned,
    IterationFinished,
    IterationStarted,
    RunStarted,
    SteeringApplied,
    SteeringEdited,
    SteeringReceived,
)
from jitskit_tui.tui.run.model import RunView

from support import run_jitskit

RECORDED_EVENTS = read_events(RECORDED / "events.jsonl")


def start(n: int | None, seq: int) -> IterationStarted:
    return IterationStarted(seq=seq, iteration=n, parent_iteration=0, step=1, branch="main")


def finish(n: int | None, seq: int, ops: float = 1000.0, best: bool = False) -> IterationFinished:
    return IterationFinished(
        seq=seq,
        iteration=n,
        outcome="evaluated",
        summary=f"iteration {n}",
        verdict="pass",
        throughput_ops_s=ops,
        commit=f"{seq:040x}",
        branch="main",
        parent_iteration=0,
        is_best=best,
    )


def run_started(seq: int = 1) -> RunStarted:
    return RunStarted(
        seq=seq,
        ts=1_800_000_000.0,
        run_id="odd",
        spec_name="tiny",
        spec_sha256="0" * 64,
        agent="scripted",
        machine="local",
        iterations=3,
        workspace="/nowhere",
        pid=1,
    )


def fold(events: list[Event]) -> tuple[RunState, RunView]:
    state = RunState.from_events(events)
    view = RunView()
    for event in events:
        view.apply(event)
    return state, view


def check_consistent(state: RunState, view: RunView) -> None:
    """What clients ask of a fold holds whatever it was shown."""
    for s in (state, view.state):
        assert s.best_iteration is None or s.best_iteration in s.iterations
        assert 0 <= s.completed <= len(s.iterations)
        s.running_iteration()
        s.next_iteration_number()
        for it in s.iterations.values():
            s.ratio_now(it)
        assert len(s.problems) == min(MAX_PROBLEMS, s.problem_count)
    view.iterations()
    view.gate_names()
    view.elapsed_seconds(live=True)
    for it in view.iterations():
        view.previous_throughput(it)


def notes(view: RunView) -> str:
    return "\n".join(b.title for b in view.transcript.blocks)


def test_a_start_or_finish_without_an_iteration_number_is_skipped_and_said() -> None:
    state, view = fold([run_started(), start(None, 2), finish(None, 3)])
    assert state.iterations == {} and state.problem_count == 2
    assert "event 2 (iteration_started) could not be applied as it is" in state.problems[0]
    assert "no iteration number" in notes(view)
    assert view.fold_problems == 2
    check_consistent(state, view)


def test_a_finish_without_a_start_is_taken_as_a_finished_iteration() -> None:
    state, view = fold([run_started(), finish(4, 2, best=True)])
    assert state.iterations[4].state == "done" and state.best_iteration == 4
    assert state.problems == [
        "event 2 (iteration_finished) could not be applied as it is: "
        "iteration 4 finished without a start"
    ]
    assert "finished without a start" in notes(view)
    check_consistent(state, view)


def test_a_duplicate_start_replaces_the_first_but_a_redo_after_abandoning_is_normal() -> None:
    duplicate, _ = fold([run_started(), start(1, 2), start(1, 3)])
    assert duplicate.iterations[1].state == "running"
    assert "iteration 1 started again while running" in duplicate.problems[0]
    abandoned = IterationAbandoned(seq=3, iteration=1, reason="interrupted")
    redo, _ = fold([run_started(), start(1, 2), abandoned, start(1, 4), finish(1, 5)])
    assert redo.problems == [] and redo.iterations[1].state == "done"


def test_a_best_that_is_no_iteration_is_not_taken() -> None:
    moved = BestMoved(seq=3, iteration=9, sha="ab" * 20, throughput_ops_s=5e6)
    state, view = fold([run_started(), start(1, 1), finish(1, 2, best=True), moved])
    assert state.best_iteration == 1 and state.best_ops_s == 1000.0
    assert len(state.problems) == 1
    assert "the best moved to iteration 9, never started" in state.problems[0]
    check_consistent(state, view)


def test_steering_events_out_of_order_are_noted_not_raised() -> None:
    received = SteeringReceived(seq=3, steering_id="s1", text="a", delivery="next-tool", source="x")
    applied = SteeringApplied(seq=4, steering_id="s1", role="coder", delivery="next-tool")
    late_edit = SteeringEdited(seq=5, steering_id="s1", text="b", delivery="next-tool", source="x")
    unknown_edit = SteeringEdited(
        seq=6, steering_id="s9", text="c", delivery="next-tool", source="x"
    )
    state, view = fold([run_started(), received, applied, late_edit, unknown_edit])
    assert state.steering["s1"].text == "a" and state.steering["s1"].state == "applied"
    assert "s9" not in state.steering
    assert len(state.problems) == 2
    assert "edited while applied" in state.problems[0]
    assert "edited while never received" in state.problems[1]
    check_consistent(state, view)


def test_ratios_are_restated_against_the_latest_baseline() -> None:
    def known(seq: int, ops: float) -> BaselineKnown:
        return BaselineKnown(seq=seq, name=f"base{seq}", ops_s=ops, machine="local")

    first = finish(1, 3, ops=1000.0).model_copy(update={"ratio": 2.0})
    second = finish(2, 6, ops=3000.0).model_copy(update={"ratio": 1.5})
    events: list[Event] = [run_started(), known(2, 500.0), start(1, 3), first]
    events += [known(5, 2000.0), start(2, 6), second]
    state, _ = fold(events)
    one, two = (state.ratio_now(state.iterations[n]) for n in (1, 2))
    assert (one.value, one.against, one.restated) == (0.5, "base5", True)
    assert (two.value, two.against, two.restated) == (1.5, "base5", False)
    assert state.iterations[1].ratio == 2.0 and state.iterations[1].ratio_baseline == "base2"
    # No baseline known now: the committed ratio, against what it was measured with.
    unknown = BaselineKnown(seq=8, name=None, ops_s=None, machine="local")
    state.apply(unknown)
    assert state.ratio_now(state.iterations[1]).value == 2.0
    assert state.ratio_now(state.iterations[1]).against == "base2"


def test_problems_are_kept_short_and_counted() -> None:
    state, _ = fold([run_started()] + [start(None, n) for n in range(2, 200)])
    assert state.problem_count == 198 and len(state.problems) == MAX_PROBLEMS


def mutations(seed: int) -> list[Event]:
    """The recorded run's events shuffled, cut, duplicated or re-numbered."""
    rng = random.Random(seed)
    events = list(RECORDED_EVENTS)
    how = seed % 5
    if how == 0:
        rng.shuffle(events)
    elif how == 1:
        events = events[rng.randrange(len(events)) :]  # the head lost
    elif how == 2:
        events = [e for e in events if rng.random() > 0.3]
    elif how == 3:
        events += rng.sample(events, 40)
        rng.shuffle(events)
    else:
        events = [
            e.model_copy(update={"iteration": rng.choice([None, 0, 1, 2, 3, 7, -1])})
            if rng.random() < 0.3
            else e
            for e in events
        ]
    return events


@pytest.mark.parametrize("seed", range(60))
def test_shuffled_cut_and_renumbered_recorded_logs_fold(seed: int) -> None:
    state, view = fold(mutations(seed))
    check_consistent(state, view)


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(show if args[0] == "show" else runs, list(args[1:]))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}\n{result.output}"
    )
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    return result


def test_runs_and_show_print_what_they_can_of_odd_logs(tmp_path: Path) -> None:
    ws = restore(tmp_path / "workspaces" / "tiny-recorded")
    log = ws / ".jitskit" / "events.jsonl"
    for seed in range(0, 60, 3):
        log.write_text("".join(e.model_dump_json() + "\n" for e in mutations(seed)))
        listed = invoke("runs", "--dir", str(ws.parent))
        assert "tiny-recorded" in listed.output
        invoke("show", str(ws))
        invoke("show", str(ws), "2", "--against", "best")
        invoke("show", str(ws), "1", "--no-diff", "--logs")
    # A damaged results file and a commit that is not in the repository: said, no crash.
    good = [e for e in RECORDED_EVENTS if not isinstance(e, IterationFinished)]
    gone = finish(1, 9999).model_copy(update={"commit": "f" * 40})
    log.write_text("".join(e.model_dump_json() + "\n" for e in [*good, gone]))
    damaged = invoke("show", str(ws), "1")
    assert damaged.exit_code == 1 and "cannot be made" in damaged.output


def test_the_real_commands_survive_an_iteration_start_without_its_number(
    tmp_path: Path,
) -> None:
    ws = restore(tmp_path / "workspaces" / "tiny-recorded")
    log = ws / ".jitskit" / "events.jsonl"
    odd = {"type": "iteration_started", "seq": 500, "parent_iteration": 0, "step": 1, "branch": "x"}
    log.write_text(log.read_text() + json.dumps(odd) + "\n")
    listed = run_jitskit("runs", "--dir", str(ws.parent))
    assert listed.returncode == 0, listed.stderr
    assert "tiny-recorded" in listed.stdout and "(1 odd log lines)" in listed.stdout
    shown = run_jitskit("show", str(ws), "--no-diff")
    assert shown.returncode == 0, shown.stderr
    assert "iteration 2 (best)" in shown.stdout or "(best)" in shown.stdout
    assert "1 log lines did not fit" in shown.stderr
    assert "no iteration number" in shown.stderr
