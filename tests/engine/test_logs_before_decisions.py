"""Event logs and records written before decisions on evidence still replay, narrate and
resume: their iterations have no decision, their best its moves without evidence, the
run no headline; a resume that recovers an old committed iteration does not move the best
on a bare throughput."""

from __future__ import annotations

from pathlib import Path

from enginekit import open_engine

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import BestMoved, IterationFinished, RunFinished

from support import REPO

RECORDED = REPO / "tests" / "tui" / "recorded"


def test_an_old_log_folds_with_no_decisions_and_its_best_moves_without_evidence() -> None:
    state = RunState.from_events(read_events(RECORDED / "events.jsonl"))
    assert state.problems == []
    assert [it.decision for _, it in sorted(state.iterations.items())] == ["", "", ""]
    assert all(it.vs_best is None and it.vs_baseline is None for it in state.iterations.values())
    assert state.best_iteration == 1 and [m.iteration for m in state.best_moves] == [1]
    assert state.best_move is not None and state.best_move.evidence is None
    assert state.headline is None and state.fallbacks == []
    assert state.baseline_paired == [] and state.baseline_figures == {}


def test_an_old_log_narrates_without_decision_lines() -> None:
    narrator = Narrator()
    lines = [line for e in read_events(RECORDED / "events.jsonl") if (line := narrator.line(e))]
    text = "\n".join(lines)
    assert "★ best: iteration 1" in text
    assert "vs best" not in text and "within noise" not in text and "headline" not in text
    assert lines[-1].startswith("run finished: budget used up (3 of 3 iterations); best: ")


async def test_resuming_an_old_log_recovers_an_unlogged_iteration_without_moving_the_best(
    tmp_path: Path,
) -> None:
    """Iteration 2 (committed, passing) lost its `iteration_finished`: its record has no
    decision, so the best stays where the log had it."""
    from tui.recording import restore

    lines = (RECORDED / "events.jsonl").read_text().splitlines()
    cut = next(
        i
        for i, line in enumerate(lines, 1)
        if '"iteration_finished"' in line and '"iteration":2' in line
    )
    ws = Workspace(restore(tmp_path / "workspaces" / "tiny-recorded", upto_seq=cut - 1))
    engine = open_engine(ws, iterations=2)
    finished = await engine.run()
    assert finished.status == "finished", finished.reason
    events = read_events(ws.events)
    recovered = next(e for e in events if isinstance(e, IterationFinished) and e.recovered)
    assert recovered.iteration == 2 and recovered.decision == "" and not recovered.is_best
    assert [e.iteration for e in events if isinstance(e, BestMoved)] == [1]
    ended = [e for e in events if isinstance(e, RunFinished)][-1]
    assert ended.best_iteration == 1
    assert ended.headline.startswith("no headline: the run was started without baselines")
