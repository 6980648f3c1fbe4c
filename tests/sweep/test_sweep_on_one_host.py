"""A sweep on one host: two loops at once, their agents overlapping, their evaluations
taking turns, so no two benchmarks (nor a build beside a benchmark) ever run at once; each
loop is an ordinary run in the sweep's folder, listed in its manifest."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest
from sweepkit import run_logs

from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import EvalQueued, EvalStep, Event, GateResulted
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.log import SweepFinished, read_sweep_events
from jitskit_tui.sweep.manifest import load_manifest

pytestmark = pytest.mark.slow  # real loops: builds, gates and trials

Window = tuple[float, float, str]


def windows(events: list[Event], first_step: str, last_gate: str, name: str) -> list[Window]:
    """[start, end] of each span from step ``first_step`` to gate ``last_gate`` of a run."""
    spans, opened = [], None
    for event in events:
        if isinstance(event, EvalStep) and event.step == first_step:
            opened = event.ts
        elif isinstance(event, GateResulted) and event.name == last_gate and opened is not None:
            spans.append((opened, event.ts, f"{name} iteration {event.iteration}"))
            opened = None
    return spans


def overlaps(spans: list[Window]) -> list[tuple[Window, Window]]:
    ordered = sorted(spans)
    return [(a, b) for a, b in itertools.pairwise(ordered) if b[0] < a[1]]


def test_two_loops_on_one_host_never_benchmark_at_once(
    swept: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    folder, done = swept
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "sweep finished: runs: 2 finished" in done.stdout

    logs = run_logs(folder)
    assert set(logs) == {"tiny", "tiny-reads"}
    for name, events in logs.items():
        state = RunState.from_events(events)
        assert (state.status, state.completed) == ("finished", 2), name
    # The two loops ran at the same time: each one's stint spans part of the other's.
    starts = {name: events[0].ts for name, events in logs.items()}
    ends = {name: events[-1].ts for name, events in logs.items()}
    assert max(starts.values()) < min(ends.values()), "the loops did not run side by side"

    benchmarks = [
        w for name, ev in logs.items() for w in windows(ev, "benchmark", "benchmark", name)
    ]
    assert len(benchmarks) >= 6  # two iterations and a build_and_test in each loop
    assert overlaps(benchmarks) == []
    # Whole evaluations (build to the last gate) did not overlap either.
    whole = [w for name, ev in logs.items() for w in windows(ev, "build", "integrity", name)]
    assert overlaps(whole) == []

    # They took turns: some evaluation waited for the other loop's, and said so.
    waits = [e for ev in logs.values() for e in ev if isinstance(e, EvalQueued) and e.waiting]
    assert waits, "no evaluation ever waited for its turn"
    assert all(e.where == "local" and "is evaluating" in e.text for e in waits)

    sweep = SweepFolder(folder)
    manifest = load_manifest(sweep)
    assert [e.spec_name for e in manifest.entries] == ["tiny", "tiny-reads"]
    assert all((folder / e.workspace / "spec.yaml").is_file() for e in manifest.entries)
    finished = read_sweep_events(sweep.events)[-1]
    assert isinstance(finished, SweepFinished) and finished.status == "finished"
