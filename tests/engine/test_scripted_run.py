"""The scripted agent running three iterations headless through real builds and
benchmarks: the commit history and its trailers, the best branch, the committed results,
the audit suite, a build failure recorded as an outcome, `jitskit runs` and `show`."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from enginekit import headless_args, run_cli

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_trailers
from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.protocol.events import BenchResult, GateResulted, ToolCallFinished

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    ws = tmp_path_factory.mktemp("runs") / "tiny-run"
    done = run_cli(*headless_args(ws))
    assert done.returncode == 0, done.stdout + done.stderr
    return ws, done.stdout


def test_three_iterations_run_headless_and_exit_zero(finished_run: tuple[Path, str]) -> None:
    _, out = finished_run
    assert "── iteration 1 (from the start, branch main) ──" in out
    assert "── iteration 3 (from iteration 2, branch main) ──" in out
    assert "run finished: budget used up (3 of 3 iterations)" in out
    assert "ok   benchmark" in out
    assert "FAIL build" in out  # the third step does not compile: recorded, not fatal


def test_every_iteration_is_a_commit_with_trailers(finished_run: tuple[Path, str]) -> None:
    ws, _ = finished_run
    repo = git.Repo(ws)
    commits = list(repo.iter_commits("main"))[::-1]
    subjects = [str(c.message).splitlines()[0] for c in commits]
    assert subjects[0].startswith("run started")
    assert subjects[1:] == [
        "iteration 1: Reference store with 16 ordered shards",
        "iteration 2: Comment the shard layout",
        "iteration 3: A store that does not compile",
    ]
    trailers = [parse_trailers(str(c.message)) for c in commits[1:]]
    assert [t["Jitskit-Verdict"] for t in trailers] == ["pass", "pass", "fail"]
    assert [t["Jitskit-Failed-Gates"] for t in trailers] == ["none", "none", "build"]
    assert all(t["Jitskit-Ratio"] == "unknown" for t in trailers)  # --no-baselines
    assert float(trailers[0]["Jitskit-Throughput"]) > 0
    assert trailers[2]["Jitskit-Throughput"] == "0"
    # The full result is committed beside the trailers, and agrees with them.
    for n, commit in enumerate(commits[1:], start=1):
        record = json.loads(commit.tree[f"results/iteration-{n}.json"].data_stream.read())
        assert record["verdict"] == trailers[n - 1]["Jitskit-Verdict"]
        assert round(record["throughput_ops_s"]) == int(trailers[n - 1]["Jitskit-Throughput"])
    assert "store/store.cc" in [b.path for b in commits[1].tree.traverse()]  # type: ignore[union-attr]


def test_best_points_only_at_passing_iterations(finished_run: tuple[Path, str]) -> None:
    ws, _ = finished_run
    repo = git.Repo(ws)
    best = repo.commit("best")
    assert parse_trailers(str(best.message))["Jitskit-Verdict"] == "pass"
    # It is the last iteration whose paired decision moved it (the first to pass, or a
    # win over the best with its interval above 1 + min_effect), not the fastest figure.
    decisions = {
        c.hexsha: parse_trailers(str(c.message)).get("Jitskit-Decision")
        for c in repo.iter_commits("main")
    }
    assert decisions[best.hexsha] in ("first", "best")
    moved = [c for c in repo.iter_commits("main") if decisions[c.hexsha] in ("first", "best")]
    assert moved[0].hexsha == best.hexsha


def test_the_audit_test_runs_in_later_iterations(finished_run: tuple[Path, str]) -> None:
    ws, _ = finished_run
    assert "rmw-adds-up" in (ws / "audit" / "suite.yaml").read_text()
    assert (ws / "audit" / "rmw-adds-up.cc").is_file()
    gates = [
        e
        for e in read_events(ws / ".jitskit" / "events.jsonl")
        if isinstance(e, GateResulted) and e.name == "audit/rmw-adds-up"
    ]
    assert [(g.iteration, g.passed, g.severity) for g in gates] == [(2, True, "gate")]


def test_the_coder_used_real_tools(finished_run: tuple[Path, str]) -> None:
    ws, _ = finished_run
    events = read_events(ws / ".jitskit" / "events.jsonl")
    calls = [(e.iteration, e.name, e.ok) for e in events if isinstance(e, ToolCallFinished)]
    assert (1, "write_file", True) in calls
    assert (2, "edit_file", True) in calls
    assert (2, "build_and_test", True) in calls
    tool_results = [e for e in events if isinstance(e, BenchResult)]
    assert [e.iteration for e in tool_results] == [1, 2, 3]
    board = (ws / "WHITEBOARD.md").read_text()
    assert "## Iteration 2: Same store, commented" in board
    assert "**Critique**" in board


def test_replaying_the_log_narrates_the_same_run(finished_run: tuple[Path, str]) -> None:
    ws, out = finished_run
    narrator = Narrator()
    # A narrated event may take several lines (the run's end with its headline).
    lines = [
        part
        for e in read_events(ws / ".jitskit" / "events.jsonl")
        if (line := narrator.line(e))
        for part in line.split("\n")
    ]
    printed = [line for line in out.splitlines() if not line.startswith("workspace:")]
    assert lines == printed


def test_runs_lists_it_and_show_prints_summary_and_diff(finished_run: tuple[Path, str]) -> None:
    ws, _ = finished_run
    listing = run_cli("runs", "--dir", str(ws.parent))
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if line.startswith(ws.name))
    assert "tiny" in row and "3/3" in row and row.rstrip().endswith("finished")
    shown = run_cli("show", str(ws), "2")
    assert shown.returncode == 0, shown.stderr
    assert "iteration 2" in shown.stdout
    assert "+// Iteration two: unchanged logic, one more comment." in shown.stdout
    assert "results/iteration" not in shown.stdout
    refused = run_cli("control", str(ws), "pause")
    assert refused.returncode == 3
    assert "not live" in refused.stderr
