"""`jitskit show RUN` prints the run's tokens and dollars by role and by iteration when
its agent spent any, and nothing about cost for a scripted run."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from costed import write_costed

from jitskit_tui.cli.runs_cmd import show


def test_show_prints_cost_by_role_and_by_iteration(tmp_path: Path) -> None:
    ws = write_costed(tmp_path / "workspaces" / "tiny-costed")
    result = CliRunner().invoke(show, [str(ws), "2", "--no-diff"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("the run's cost by role:")
    assert lines[start + 1].split() == [
        "ROLE", "INPUT", "OUTPUT", "CACHE", "READ", "CACHE", "WRITE", "DOLLARS"
    ]  # fmt: skip
    assert lines[start + 2].split() == ["planner", "72,000", "9,000", "120,000", "24,000", "$0.72"]
    assert lines[start + 4].split() == ["critic", "48,000", "4,800", "60,000", "0", "$0.30"]
    assert lines[start + 6].split() == [
        "total", "450,000", "79,800", "1,260,000", "102,000", "$7.38"
    ]  # fmt: skip
    assert lines[start + 7] == "the run's cost by iteration:"
    assert lines[start + 9].split() == [
        "1", "315,300", "$1.23", "planner", "$0.12,", "coder", "$0.85,", "critic", "$0.05,",
        "auditor", "$0.21",
    ]  # fmt: skip
    assert lines[start + 11].split()[:3] == ["3", "945,900", "$3.69"]


def test_show_says_nothing_of_cost_for_a_scripted_run(recorded: Path) -> None:
    result = CliRunner().invoke(show, [str(recorded), "--no-diff"])
    assert result.exit_code == 0, result.output
    assert "iteration 1 (best)" in result.output
    assert "cost" not in result.output
