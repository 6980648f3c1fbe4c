"""The best moves only on evidence: each iteration's store is measured paired against the
best in one evaluation, and the best moves to it only when that ratio's whole interval
clears 1 + min_effect. A store too little faster stays within noise, a slower one is
slower; the decision is recorded in the log, the record and the trailers, and a resume
that finds the iteration committed but not logged takes the recorded decision.

The run is `decided_run` (tests/engine/conftest.py): stores of known relative speed, so
every decision has a wide margin.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest
from conftest import MIN_EFFECT
from stepkit import engine_for

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_trailers
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import BestMoved, Event, IterationFinished
from jitskit_tui.protocol.records import IterationRecord

pytestmark = pytest.mark.slow


@pytest.fixture
def decided(decided_run: tuple[Workspace, list[Event]]) -> tuple[Workspace, list[Event]]:
    return decided_run


def finishes(events: list[Event]) -> dict[int, IterationFinished]:
    return {e.iteration: e for e in events if isinstance(e, IterationFinished) and e.iteration}


def test_each_iteration_is_decided_on_its_paired_ratio_to_the_best(
    decided: tuple[Workspace, list[Event]],
) -> None:
    _, events = decided
    done = finishes(events)
    assert [done[n].decision for n in (1, 2, 3, 4)] == ["first", "best", "within-noise", "slower"]
    assert [done[n].incumbent_iteration for n in (1, 2, 3, 4)] == [None, 1, 2, 2]
    assert done[1].vs_best is None
    for n in (2, 3, 4):
        comparison = done[n].vs_best
        assert comparison is not None and comparison.other == "incumbent" and comparison.paired
        assert comparison.ratio.n == 3 and comparison.ci_low is not None
    win, near, slower = (done[n].vs_best for n in (2, 3, 4))
    assert win is not None and win.ci_low is not None and win.ci_low >= 1 + MIN_EFFECT
    assert near is not None and near.ci_low is not None and near.ci_high is not None
    assert near.ci_low < 1 + MIN_EFFECT and near.ci_high >= 1
    assert slower is not None and slower.ci_high is not None and slower.ci_high < 1


def test_the_best_moves_on_the_win_only_with_its_evidence(
    decided: tuple[Workspace, list[Event]],
) -> None:
    ws, events = decided
    moves = [e for e in events if isinstance(e, BestMoved)]
    assert [(m.iteration, m.previous_iteration) for m in moves] == [(1, None), (2, 1)]
    assert moves[0].evidence is None and "first" in moves[0].reason
    assert moves[1].evidence == finishes(events)[2].vs_best
    assert f"clears {1 + MIN_EFFECT:.2f}" in moves[1].reason
    done = finishes(events)
    assert [done[n].is_best for n in (1, 2, 3)] == [True, True, False]  # as each finished
    state = RunState.from_events(events)
    assert [m.iteration for m in state.best_moves] == [1, 2]
    assert moves[1].sha == done[2].commit == git.Repo(ws.root).commit("main~2").hexsha


def test_the_decision_is_committed_in_the_record_and_the_trailers(
    decided: tuple[Workspace, list[Event]],
) -> None:
    ws, events = decided
    repo = git.Repo(ws.root)
    for n, finished in finishes(events).items():
        commit = repo.commit(finished.commit)
        assert parse_trailers(str(commit.message))["Jitskit-Decision"] == finished.decision
        blob = commit.tree / f"results/iteration-{n}.json"
        record = IterationRecord.model_validate_json(blob.data_stream.read())
        assert record.decision == finished.decision
        assert record.vs_best == finished.vs_best
        assert record.incumbent_iteration == finished.incumbent_iteration
        if n > 1:
            assert record.result is not None
            sides = {t.side for t in record.result.peers["incumbent"].trials}
            assert sides == {"incumbent"} and len(record.result.trials) == 3


def test_the_narration_says_the_decision_with_its_interval(
    decided: tuple[Workspace, list[Event]],
) -> None:
    _, events = decided
    narrator = Narrator()
    lines = [line for e in events if (line := narrator.line(e))]
    text = "\n".join(lines)
    assert "≈ within noise, best stays #2" in text
    assert "slower, best stays #2; then the best fell back to #1" in text
    assert "★ best: iteration 2" in text and f"its interval clears {1 + MIN_EFFECT:.2f}" in text
    whiteboard = (decided[0].whiteboard).read_text()
    assert "≈ within noise, best stays #2" in whiteboard  # what the planner reads
    assert "Decision: vs best" in whiteboard  # the critic's text, filled in


def killed_before_logging(ws: Workspace, events: list[Event], n: int, dest: Path) -> Workspace:
    """A copy of the run as if killed after committing iteration ``n``, before logging
    that the best moved (when it did) and that ``n`` finished."""
    copy = Workspace(dest)
    shutil.copytree(ws.root, copy.root)
    cut = next(
        e.seq for e in events if isinstance(e, BestMoved | IterationFinished) and e.iteration == n
    )
    lines = copy.events.read_text().splitlines(keepends=True)[: cut - 1]
    copy.events.write_text("".join(lines))
    return copy


@pytest.mark.parametrize(("killed_in", "best_after"), [(2, 2), (3, 2)])
async def test_a_resume_moves_the_best_as_the_committed_decision_said(
    decided: tuple[Workspace, list[Event]], tmp_path: Path, killed_in: int, best_after: int
) -> None:
    """The resume logs the committed iteration and moves the best as its record's
    decision says: onto iteration 2 (a win), not onto iteration 3, although 3 measured a
    higher throughput (within noise under the card's min_effect): no bare comparison."""
    ws, events = decided
    copy = killed_before_logging(ws, events, killed_in, tmp_path / "copy")
    assert RunState.from_events(read_events(copy.events)).best_iteration == killed_in - 1
    finished = await engine_for(copy, ws.root.parent / "trajectory", killed_in).run()
    assert finished.status == "finished", finished.reason
    state = RunState.from_events(read_events(copy.events))
    recovered = state.iterations[killed_in]
    assert recovered.decision == finishes(events)[killed_in].decision
    assert state.best_iteration == best_after
    assert state.best_move is not None and state.best_move.iteration == 2
    assert state.best_move.evidence == state.iterations[2].vs_best
