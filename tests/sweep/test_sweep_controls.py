"""`jitskit control DIR pause|stop` on a sweep reaches every live run and holds back the
runs not started; what only a run takes (steering) is refused with the way to send it to
one; a sweep that is not live says how to continue it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweepkit import run_cli, run_logs, start_cli, sweep_args, wait_for

from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import IterationStarted, LoopStateChanged

pytestmark = pytest.mark.slow  # real loops: builds, gates and trials


def test_pause_and_stop_reach_the_runs_of_a_sweep(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    sweep = start_cli(*sweep_args(folder, "--iterations", "3", "--parallel", "1"))
    try:

        def running() -> bool:
            events = run_logs(folder)["tiny"] if (folder / "sweep.json").is_file() else []
            return any(isinstance(e, IterationStarted) for e in events)

        wait_for(running, what="the first run's first iteration")
        paused = run_cli("control", str(folder), "pause", timeout=60)
        assert paused.returncode == 0, paused.stderr
        assert "pausing 1 live runs; runs not started wait until resumed" in paused.stdout

        def is_paused() -> bool:
            events = run_logs(folder)["tiny"]
            return any(isinstance(e, LoopStateChanged) and e.state == "paused" for e in events)

        wait_for(is_paused, timeout_s=120, what="the run to pause")

        steer = run_cli("control", str(folder), "steer", "go faster", timeout=60)
        assert steer.returncode == 2
        assert f"send steer to one of its runs: `jitskit control {folder}/RUN steer" in steer.stderr

        stopped = run_cli("control", str(folder), "stop", timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        assert "stopping 1 live runs" in stopped.stdout
        out, err = sweep.communicate(timeout=300)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 0, out[-3000:] + err
    assert "sweep stopped: runs: 1 stopped or aborted, 1 not started" in out

    logs = run_logs(folder)
    state = RunState.from_events(logs["tiny"])
    assert state.status == "stopped" and state.completed < 3
    assert logs["tiny-reads"] == []

    late = run_cli("control", str(folder), "pause", timeout=60)
    assert late.returncode == 3
    assert f"`jitskit sweep --resume {folder}` continues it" in late.stderr
