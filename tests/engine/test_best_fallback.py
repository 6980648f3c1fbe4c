"""When an audit test becomes a gate and fails the best, the best falls back to the most
recent earlier best that still passes the suite's gate tests: `best_fell_back` says why,
the `best` branch follows, and the run goes on from the store it fell back to (the next
iteration is measured against the best the state names).

The run is `decided_run` (tests/engine/conftest.py): the best is iteration 2, a store that
answers Scan; in iteration 4 the auditor adds the escalation fixture's test
(`scan_refused.cc`, gate severity), which fails any store that answers Scan; iteration 1,
the earlier best, does not.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import BestFellBack, Event, IterationFinished, RunFinished

from support import run_jitskit

pytestmark = pytest.mark.slow


@pytest.fixture
def fell_back(decided_run: tuple[Workspace, list[Event]]) -> tuple[Workspace, list[Event]]:
    return decided_run


def test_a_gate_test_that_fails_the_best_sends_it_back_to_the_earlier_best(
    fell_back: tuple[Workspace, list[Event]],
) -> None:
    ws, events = fell_back
    (back,) = [e for e in events if isinstance(e, BestFellBack)]
    assert (back.iteration, back.from_iteration, back.to_iteration) == (4, 2, 1)
    assert back.reason.startswith("audit/scan-refused failed on the best (#2)")
    assert back.skipped == []
    fourth = next(e for e in events if isinstance(e, IterationFinished) and e.iteration == 4)
    assert fourth.decision == "slower" and not fourth.is_best
    state = RunState.from_events(events)
    assert state.best_iteration == 1 and state.disqualified == {2}
    assert state.earlier_bests() == []  # 2 is never fallen back to again
    assert [(f.from_iteration, f.to_iteration) for f in state.fallbacks] == [(2, 1)]
    assert back.sha == state.iterations[1].commit
    assert git.Repo(ws.root).commit("best").hexsha == state.iterations[1].commit
    ended = next(e for e in events if isinstance(e, RunFinished))
    assert ended.best_iteration == 1


def test_the_narration_says_the_best_fell_back_and_why(
    fell_back: tuple[Workspace, list[Event]],
) -> None:
    _, events = fell_back
    narrator = Narrator()
    text = "\n".join(line for e in events if (line := narrator.line(e)))
    assert "best fell back from iteration 2 to iteration 1: audit/scan-refused failed" in text
    assert "slower, best stays #2; then the best fell back to #1" in text


def test_the_report_says_the_best_fell_back_and_boxes_the_store_it_fell_back_from(
    fell_back: tuple[Workspace, list[Event]], tmp_path: Path
) -> None:
    ws, _ = fell_back
    out = tmp_path / "report.md"
    done = run_jitskit("report", str(ws.root), "--out", str(out))
    assert done.returncode == 0, done.stderr
    report = out.read_text()
    assert (
        "> The best fell back from iteration 2 to iteration 1: audit/scan-refused failed on the "
        "best (#2)"
    ) in report
    (chart,) = (tmp_path / "report-charts").glob("*.svg")
    svg = chart.read_text()
    tag = ws.name
    # One box, on #2, whose "moved" mark stays: it was the best until the audit.
    boxed = svg[svg.index(f'<g id="{tag}-disqualified"') :]
    assert boxed[: boxed.index("</g>")].count("<use ") == 1
    assert "failed a later audit: the best fell back" in svg
