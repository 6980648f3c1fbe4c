"""`jitskit baselines`: when no baseline passes, the last line says which gate of which
baseline failed, and why; not just that none passed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jitskit_tui.cli.main import cli
from jitskit_tui.harness.baseline_runs import none_passed
from jitskit_tui.protocol.results import BaselineReport, EvalResult, GateResult

TINY = Path(__file__).parent / "tui" / "tiny.yaml"

needs_compiler = pytest.mark.skipif(shutil.which("g++") is None, reason="no g++")


@needs_compiler
def test_no_baseline_passed_names_the_failed_gate_and_why(tmp_path: Path) -> None:
    """A budget below what the data needs: mutex-map really fails its memory gate."""
    card = tmp_path / "starved.yaml"
    card.write_text(
        TINY.read_text().replace("store_memory_budget: 128MiB", "store_memory_budget: 1MiB")
    )
    result = CliRunner().invoke(
        cli, ["baselines", str(card), "--only", "mutex-map", "--refresh"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("best comparable: none passed the gates: mutex-map failed memory: ")
    assert "over the store's budget of 1 MiB" in last


def _failed(name: str, *gates: GateResult) -> EvalResult:
    return EvalResult(name=name, verdict="fail", gates=list(gates), spec_sha256="0")


def test_every_failed_baseline_and_gate_is_named() -> None:
    report = BaselineReport(
        results=[
            _failed(
                "rocksdb",
                GateResult(name="build", passed=True),
                GateResult(name="durability", passed=False, detail="lost 3 acked writes\nmore"),
            ),
            _failed(
                "lmdb",
                GateResult(name="api", passed=False, detail=""),
                GateResult(name="memory", passed=False, detail="x" * 300),
            ),
        ]
    )
    text = none_passed(report)
    assert text.startswith("none passed the gates: rocksdb failed durability: lost 3 acked")
    assert "more" not in text  # the first line of a detail
    assert "lmdb failed api: no detail; memory: " + "x" * 199 + "…" in text


def test_no_comparable_baseline_is_said_as_such() -> None:
    report = BaselineReport(results=[], skipped={"mutex-map": "meets durability up to none"})
    assert "no baseline is comparable" in none_passed(report)
