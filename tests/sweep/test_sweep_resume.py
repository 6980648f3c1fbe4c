"""A sweep killed with kill -9 resumes: the run that was going on redoes its interrupted
iteration, the run not started starts, and the sweep ends with both budgets used up."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sweepkit import run_cli, run_logs, start_cli, sweep_args, wait_for

from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import IterationFinished, RunResumed
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.log import (
    RunLaunched,
    SweepFinished,
    SweepLog,
    SweepStarted,
    read_sweep_events,
)

pytestmark = pytest.mark.slow  # real loops: builds, gates and trials


def test_killed_sweep_resumes_where_each_run_was(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    # One loop at a time, so the second card has not started when the sweep is killed.
    sweep = start_cli(*sweep_args(folder, "--iterations", "2", "--parallel", "1"))
    try:

        def first_iteration_done() -> bool:
            events = run_logs(folder)["tiny"] if (folder / "sweep.json").is_file() else []
            return any(isinstance(e, IterationFinished) for e in events)

        wait_for(first_iteration_done, what="the first run's iteration 1")
        os.kill(sweep.pid, signal.SIGKILL)
        sweep.wait(timeout=30)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert SweepFolder(folder).live() is None
    before = run_logs(folder)
    assert before["tiny-reads"] == []  # not started

    done = run_cli("resume", str(folder))  # the same as `jitskit sweep --resume DIR`
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "sweep resumed" in done.stdout

    logs = run_logs(folder)
    for name, events in logs.items():
        state = RunState.from_events(events)
        assert (state.status, state.completed) == ("finished", 2), name
    assert any(isinstance(e, RunResumed) for e in logs["tiny"])
    assert not any(isinstance(e, RunResumed) for e in logs["tiny-reads"])

    story = read_sweep_events(SweepFolder(folder).events)
    stints = [e for e in story if isinstance(e, SweepStarted)]
    assert [s.resumed for s in stints] == [False, True]
    second = story[story.index(stints[1]) :]
    launched = [e for e in second if isinstance(e, RunLaunched)]
    assert [(e.entry, e.resumed) for e in launched] == [(0, True), (1, False)]
    assert isinstance(story[-1], SweepFinished) and story[-1].status == "finished"

    again = run_cli("sweep", "--resume", str(folder))
    assert again.returncode == 0, again.stderr
    assert "runs: 2 already done" in again.stdout


def test_the_sweeps_log_cut_mid_line_by_a_kill_goes_on_whole(tmp_path: Path) -> None:
    """A sweep killed while writing its log leaves half a line; the next stint cuts it, so
    its own first event is read, numbered after the last whole one."""
    path = SweepFolder(tmp_path).events
    log = SweepLog(path)
    log.append(SweepStarted(pid=1, parallel=1))
    log.close()
    with path.open("ab") as handle:
        handle.write(b'{"type": "run_launched", "entry": 0, "work')  # killed here
    log = SweepLog(path)
    log.append(SweepStarted(pid=2, parallel=1, resumed=True))
    log.close()
    story = read_sweep_events(path)
    assert [(e.seq, e.pid) for e in story if isinstance(e, SweepStarted)] == [(1, 1), (2, 2)]
    assert len(story) == 2
