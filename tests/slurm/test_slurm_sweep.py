"""A two-card sweep through slurm://bench: both loops run, every evaluation in a job of its
own (on the one-node cluster the second loop's jobs queue behind the first's, and the runs
say so), no job is left, and the sweep ends with its results report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from slurmkit import PARTITION, REPO, jobs_after_settling

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import BenchResult, EvalQueued, EvalStarted
from jitskit_tui.sandbox.slurm_jobs import run_jobs_prefix
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.manifest import load_manifest

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
CARDS = (HERE / "demo-short.yaml", HERE / "ycsb-c-short.yaml")
JITSKIT = Path(sys.executable).with_name("jitskit")


def jitskit(*args: str, staging: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "JITSKIT_SLURM_STAGING": str(staging)}
    env.pop("ANTHROPIC_API_KEY", None)
    return subprocess.run(
        [str(JITSKIT), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
    )


def test_sweep_of_two_cards_runs_as_slurm_jobs_and_ends_with_a_report(
    cluster: str, staging: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "sweep"
    done = jitskit(
        "sweep", *map(str, CARDS), "--machine", cluster, "--agent", "scripted",
        "--pace", "instant", "--iterations", "2", "--no-baselines", "--workspace", str(folder),
        staging=staging, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    assert "sweep finished: runs: 2 finished" in done.stdout

    entries = load_manifest(SweepFolder(folder)).entries
    assert [e.spec_name for e in entries] == ["demo", "ycsb-c-read-only"]
    queued: list[EvalQueued] = []
    for entry in entries:
        events = read_events(folder / entry.workspace / ".jitskit" / "events.jsonl")
        state = RunState.from_events(events)
        assert (state.status, state.completed, state.machine) == ("finished", 2, cluster)
        started = [e for e in events if isinstance(e, EvalStarted)]
        assert started and all(e.machine == cluster for e in started)
        results = [e for e in events if isinstance(e, BenchResult) and e.purpose == "iteration"]
        assert len(results) == 2 and all(r.verdict == "pass" for r in results), entry.spec_name
        assert all(r.machine.startswith(cluster) for r in results)
        queued += [e for e in events if isinstance(e, EvalQueued) and e.waiting]
        assert jobs_after_settling(run_jobs_prefix(entry.workspace)) == []
    # Two loops, one node, exclusive jobs: some evaluation waited in the queue for it.
    assert queued, "no evaluation waited in Slurm's queue"
    assert all(e.where == PARTITION and e.text.startswith(f"queued on {PARTITION}") for e in queued)

    report = tmp_path / "report.html"
    written = jitskit(
        "report", str(folder), "--format", "html", "--out", str(report),
        staging=staging, timeout=120,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    page = report.read_text()
    assert page.count("<svg") >= 2  # a chart per run
    for name in ("demo", "ycsb-c-read-only", cluster):
        assert name in page
