"""Event logs and iteration records written before benchmarks ran as trials still load,
fold and replay: the new fields take their defaults."""

from __future__ import annotations

import subprocess
from pathlib import Path

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import BenchResult, BenchTickEvent, LogCorrupt
from jitskit_tui.protocol.records import IterationRecord

from support import REPO

RECORDED = REPO / "tests" / "tui" / "recorded"


def test_a_log_from_before_trials_replays_without_a_damaged_line() -> None:
    events = read_events(RECORDED / "events.jsonl")
    assert not [e for e in events if isinstance(e, LogCorrupt)]
    ticks = [e for e in events if isinstance(e, BenchTickEvent)]
    assert ticks and all(t.side == "candidate" and t.trial is None and not t.warm for t in ticks)
    results = [e for e in events if isinstance(e, BenchResult)]
    assert results and all(r.throughput is None and r.trials == 0 for r in results)
    assert all(r.comparisons == [] and r.conditions_warning == "" for r in results)


def test_a_log_from_before_trials_folds_to_its_iterations_and_best() -> None:
    state = RunState.from_events(read_events(RECORDED / "events.jsonl"))
    assert state.problems == []
    assert state.completed == 3
    assert state.best_iteration == 1 and state.best_ops_s is not None


def test_an_iteration_record_from_before_trials_loads_with_no_trials(tmp_path: Path) -> None:
    clone = tmp_path / "run"
    subprocess.run(
        ["git", "clone", "-q", str(RECORDED / "repo.bundle"), str(clone)],
        check=True,
        capture_output=True,
    )
    record = IterationRecord.model_validate_json((clone / "results/iteration-1.json").read_text())
    assert record.result is not None and record.result.throughput_ops_s > 0
    assert record.result.trials == [] and record.result.throughput is None
    assert record.result.peers == {} and record.result.conditions is None
