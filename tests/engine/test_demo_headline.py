"""The demo, headless with the scripted agent and the real baselines: every iteration is
paired against the best and the baselines, the best only ever moves on a win whose
interval clears 1 + min_effect, and the run ends with its headline, a ratio with its
interval against the best comparable baseline.

The run is the session's short demo (tests/support/demo_run.py), which the report's and
the sweep dashboard's tests read too.
"""

from __future__ import annotations

import pytest

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import BestMoved, HeadlineMeasured, IterationFinished, RunFinished

from support.demo_run import DemoRun

pytestmark = pytest.mark.slow


def test_the_demo_ends_with_a_paired_headline_and_its_best_moved_only_on_evidence(
    demo_run: DemoRun,
) -> None:
    ws, done = demo_run.ws, demo_run.done
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    events = read_events(ws / ".jitskit" / "events.jsonl")
    state = RunState.from_events(events)
    min_effect = 0.02

    finished = {e.iteration: e for e in events if isinstance(e, IterationFinished)}
    assert sorted(finished) == [1, 2]
    for n, event in finished.items():
        assert event.decision in ("first", "best", "within-noise", "slower", "failed")
        if event.decision not in ("first", "failed"):
            assert event.incumbent_iteration is not None and event.vs_best is not None
        baseline = event.vs_baseline
        if event.verdict == "pass":
            assert baseline is not None and baseline.paired, n
            assert baseline.other.removeprefix("baseline:") in state.baseline_paired
            assert baseline.ci_low is not None and event.ratio_ci_low == baseline.ci_low
    moves = [e for e in events if isinstance(e, BestMoved)]
    assert moves and moves[0].evidence is None
    for move in moves[1:]:
        assert move.evidence is not None and move.evidence.ci_low is not None
        assert move.evidence.ci_low >= 1 + min_effect

    (headline,) = [e for e in events if isinstance(e, HeadlineMeasured)]
    assert headline.best_iteration == state.best_iteration and headline.size == "full"
    chosen = headline.headline_comparison
    assert chosen is not None and chosen.paired and chosen.other.startswith("baseline:")
    assert chosen.ci_low is not None and chosen.ci_high is not None
    # The best comparable baseline is always paired; the headline is against whichever
    # paired baseline it compares worst with in that window.
    assert f"baseline:{state.baseline_name}" in [c.other for c in headline.comparisons]
    assert chosen.ratio.point == min(c.ratio.point for c in headline.comparisons)
    ended = next(e for e in events if isinstance(e, RunFinished))
    assert ended.headline == headline.text
    assert f"headline: {headline.text}" in done.stdout
    assert (ws / "results" / "headline.json").is_file()
