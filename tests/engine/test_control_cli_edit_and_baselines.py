"""`jitskit control RUN edit-steer ID TEXT` and `jitskit control RUN baselines` against a
headless run in another process: the edit replaces pending steering, a late edit is
refused and prints how to send the text as new steering, and a run started with
`--no-baselines` measures the real baselines between iterations, so later iterations
get a ratio."""

from __future__ import annotations

from pathlib import Path

import pytest
from enginekit import TINY, headless_args, kill9, run_cli, start_cli, wait_for_event

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import (
    AgentText,
    BaselineKnown,
    EvalStarted,
    IterationFinished,
    IterationStarted,
    LoopStateChanged,
    SteeringApplied,
    SteeringEdited,
    SteeringEditRefused,
)
from jitskit_tui.protocol.texts import TIMES, interval_ratio_text, ratio_number

pytestmark = pytest.mark.slow


def test_edit_steer_and_baselines_from_another_terminal(tmp_path: Path) -> None:
    ws = tmp_path / "tiny-run"
    events_path = ws / ".jitskit" / "events.jsonl"
    proc = start_cli(*headless_args(ws, TINY, "--iterations", "3"))
    try:
        wait_for_event(events_path, lambda e: isinstance(e, IterationStarted))
        assert run_cli("control", str(ws), "pause").returncode == 0
        wait_for_event(
            events_path, lambda e: isinstance(e, LoopStateChanged) and e.state == "paused"
        )
        steered = run_cli("control", str(ws), "steer", "try a hash table")
        assert steered.returncode == 0, steered.stderr
        sid = steered.stdout.split("steering ")[1].split()[0]
        assert f"edit-steer {sid}" in steered.stdout
        edited = run_cli("control", str(ws), "edit-steer", sid, "try a sorted array")
        assert edited.returncode == 0, edited.stderr
        assert f"steering {sid} edited" in edited.stdout
        asked = run_cli("control", str(ws), "baselines")
        assert asked.returncode == 0, asked.stderr
        assert "once iteration 1 is committed" in asked.stdout
        assert "started without them" in asked.stdout
        assert run_cli("control", str(ws), "resume").returncode == 0
        # Iteration 2's planner takes the steering; editing it now is too late.
        wait_for_event(
            events_path,
            lambda e: isinstance(e, SteeringApplied) and e.steering_id == sid,
            timeout=300,
        )
        late = run_cli("control", str(ws), "edit-steer", sid, "too late, it's gone")
        assert late.returncode == 1, late.stdout + late.stderr
        assert "already applied to the planner" in late.stderr
        assert "to send your text as new steering: jitskit control" in late.stderr
        assert "steer 'too late, it'\"'\"'s gone'" in late.stderr
        assert proc.wait(timeout=300) == 0
    finally:
        if proc.poll() is None:
            kill9(proc)
    out = proc.stdout.read() if proc.stdout else ""
    assert f"steering {sid} edited" in out

    events = read_events(events_path)
    said = "".join(e.text for e in events if isinstance(e, AgentText) and e.role == "planner")
    assert "try a sorted array" in said and "try a hash table" not in said
    assert [e.text for e in events if isinstance(e, SteeringEdited)] == ["try a sorted array"]
    refused = next(e for e in events if isinstance(e, SteeringEditRefused))
    assert refused.text == "too late, it's gone"
    assert sum(isinstance(e, SteeringApplied) for e in events) == 1
    # The real baselines were measured after iteration 1 and before iteration 2.
    known = [e for e in events if isinstance(e, BaselineKnown)]
    assert known[0].ops_s is None and known[-1].ops_s, known[-1].detail
    measured = {e.name for e in events if isinstance(e, EvalStarted) and e.purpose == "baseline"}
    assert known[-1].name in measured
    ratios = {e.iteration: e.ratio for e in events if isinstance(e, IterationFinished)}
    assert ratios[1] is None and ratios[2] is not None
    state = RunState.from_events(events)
    first = state.ratio_now(state.iterations[1])
    assert first.value is not None and first.restated and first.against == known[-1].name
    listed = run_cli("runs", "--dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith(ws.name))
    # The best's ratio as measured beside a baseline, else (iteration 1, measured before
    # any baseline) the restated, unpaired one.
    assert state.best_iteration is not None
    best = state.ratio_now(state.iterations[state.best_iteration])
    shown = (
        interval_ratio_text(best.comparison.ratio, TIMES)
        if best.comparison is not None
        else f"{ratio_number(best.value)}{TIMES} unpaired"
    )
    assert shown in row and row.rstrip().endswith("finished")
