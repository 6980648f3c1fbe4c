"""`jitskit show RUN --beside [OTHER] [--compare]`: a naive run beside a pipeline run of
its card (the newest one when none is named): each one's store, what the naive agent
believed of each store beside what the gates found, and their stores compared as paired
trials, measured once and then shown from the run's folder; a store that failed a gate
(in its run, or when measured) named with why; two runs it cannot compare refused with
the way on."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from jitskit_tui.engine.beside import read_side
from jitskit_tui.engine.beside_cache import BesideMeasurement, save
from jitskit_tui.protocol.texts import RANGE_DASH, TIMES

from support import run_jitskit
from support.beside_runs import BesideRuns

pytestmark = pytest.mark.slow

RATIO = re.compile(
    r"beside-pipeline #1 / beside-naive #1 = (?P<point>[\d.]+)"
    + TIMES
    + r" \[(?P<low>[\d.]+)"
    + RANGE_DASH
    + r"(?P<high>[\d.]+)\]  (?P<verdict>faster|slower|same)"
)


def test_a_naive_run_beside_the_newest_pipeline_run_is_measured_once_then_kept(
    beside_runs: BesideRuns,
) -> None:
    naive, pipeline = beside_runs.naive, beside_runs.pipeline
    shown = run_jitskit("show", str(naive.root), "--beside")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    out = shown.stdout
    assert out.startswith("beside-naive beside beside-pipeline (card tiny)")
    kinds = next(line for line in out.splitlines() if line.strip().startswith("kind"))
    assert "naive (stores-in-turn)" in kinds and "pipeline (scripted)" in kinds
    assert re.search(r"store\s+#1, its best\s+#1, its best", out)
    assert re.search(r"failed a gate\s+1 of 2 iterations\s+0 of 1 iteration", out)
    # What the naive agent believed of each store, beside what the gates found.
    assert re.search(r"#1\s+believed [\d,]+ ops/s\s+found: every gate passed, [\d,]+ ops/s", out)
    assert re.search(r"#2\s+believed [\d,]+ ops/s\s+found: failed concurrency \(torn read", out)
    assert "not measured yet: add --compare to measure them" in out

    measured = run_jitskit("show", str(naive.root), "--compare", timeout=600)
    assert measured.returncode == 0, measured.stdout + measured.stderr
    found = RATIO.search(measured.stdout)
    assert found, measured.stdout
    point, low, high = (float(found[k]) for k in ("point", "low", "high"))
    # The naive store does ~2 us of extra work per operation: several times slower.
    assert point > 2 and low <= point <= high
    verdict = "faster" if low > 1 else "slower" if high < 1 else "same"
    assert found["verdict"] == verdict
    assert f"the pipeline's store {'is faster than' if verdict == 'faster' else ''}" in (
        measured.stdout
    )
    assert "measured " in measured.stdout and " on local: " in measured.stdout
    kept = naive.state / "beside" / "beside-pipeline.json"
    data = json.loads(kept.read_text())
    assert (data["a"]["run"], data["b"]["run"]) == ("beside-naive", "beside-pipeline")
    assert data["a"]["naive"] and not data["b"]["naive"]
    assert len(data["result"]["trials"]) == len(data["result"]["peers"]["A"]["trials"]) == 2
    stamp = kept.stat().st_mtime_ns

    # Shown again from the other run, without measuring.
    again = run_jitskit("show", str(pipeline.root), "--beside", str(naive.root))
    assert again.returncode == 0, again.stdout + again.stderr
    assert found[0] in again.stdout and f"kept in {kept}" in again.stdout
    assert "add --compare to measure again" in again.stdout
    assert "measuring" not in again.stderr and kept.stat().st_mtime_ns == stamp


def test_a_store_that_failed_a_gate_in_its_run_is_not_measured_and_the_way_on_is_named(
    beside_runs: BesideRuns,
) -> None:
    naive = beside_runs.naive
    done = run_jitskit("show", str(naive.root), "2", "--compare")
    assert done.returncode == 1, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    # Torn reads fail the concurrency gate, and at times the benchmark's read-back too.
    assert "not measured: beside-naive #2 (asked) failed the concurrency" in said
    assert (
        "in its run: a ratio needs two stores that pass every gate; name one that passed, "
        f"{naive.root}@1" in said
    )
    assert not (naive.state / "beside").exists()
    named = run_jitskit("show", f"{naive.root}@1", "--beside")  # the way on it names
    assert named.returncode == 0, named.stdout + named.stderr
    assert re.search(r"store\s+#1, as asked\s+#1, its best", named.stdout)
    assert "not measured yet: add --compare" in named.stdout


def _copy_run(run: Path, dest: Path, card: str | None = None) -> Path:
    shutil.copytree(run, dest, symlinks=True)
    if card is not None:
        (dest / "spec.yaml").write_text(card)
    return dest


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("other card", "beside-naive is a run of card `tiny` and other of `renamed`"),
        ("edited card", "are runs of card `tiny`, but it was edited between them"),
        ("no store yet", "other has no committed iteration yet, so no store to compare"),
        ("same store", "both sides are beside-naive #1"),
    ],
)
def test_two_runs_it_cannot_compare_are_refused_with_the_way_on(
    beside_runs: BesideRuns, tmp_path: Path, case: str, says: str
) -> None:
    naive, pipeline = beside_runs.naive, beside_runs.pipeline
    card = (pipeline.root / "spec.yaml").read_text()
    other = tmp_path / "elsewhere" / "other"
    if case == "other card":
        _copy_run(pipeline.root, other, card.replace("name: tiny", "name: renamed"))
    elif case == "edited card":
        _copy_run(pipeline.root, other, card.replace("record_count: 10k", "record_count: 20k"))
    elif case == "no store yet":
        _copy_run(pipeline.root, other)
        events = other / ".jitskit" / "events.jsonl"
        events.write_text(events.read_text().splitlines(keepends=True)[0])
    else:
        other = naive.root
    done = run_jitskit("show", str(naive.root), "--beside", str(other))
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    if case in ("other card", "edited card"):
        assert f"jitskit compare SPEC {naive.root}@1 {other}@1" in done.stderr


def test_with_no_run_of_the_other_kind_beside_it_says_how_to_start_one(
    beside_runs: BesideRuns, tmp_path: Path
) -> None:
    alone = _copy_run(beside_runs.naive.root, tmp_path / "alone" / "beside-naive")
    done = run_jitskit("show", str(alone), "--beside")
    assert done.returncode == 2
    assert (
        f"no pipeline run of card `tiny` in {alone.parent}/ to put beside beside-naive; "
        f"start one: `jitskit run {alone}/spec.yaml --headless`" in done.stderr
    )
    # And the other way: beside a pipeline run, the newest naive run of its card.
    found = run_jitskit("show", str(beside_runs.pipeline.root), "--beside")
    assert found.returncode == 0 and found.stdout.startswith("beside-pipeline beside beside-naive")


def test_a_store_that_failed_a_gate_when_measured_is_named_with_why(
    beside_runs: BesideRuns,
) -> None:
    # A kept comparison whose evaluation failed B's concurrency gate: the torn store's
    # own evaluation from its run, as B's, kept in the pipeline run's folder.
    naive = read_side(beside_runs.naive, 2)
    pipeline = read_side(beside_runs.pipeline)
    failing = naive.records[2]
    assert failing is not None and failing.result is not None
    kept = BesideMeasurement(
        a=pipeline.ref,
        b=naive.ref,
        spec_name="tiny",
        spec_sha256=naive.digest,
        measured_ts=time.time(),
        result=failing.result,
    )
    save(beside_runs.pipeline, kept)
    done = run_jitskit(
        "show", str(beside_runs.pipeline.root), "--beside", f"{beside_runs.naive.root}@2"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = " ".join(done.stdout.split())
    assert (
        "beside-naive #2 / beside-pipeline #1: no ratio, a store failed a gate when measured" in out
    )
    assert "beside-naive #2 failed the concurrency gate: torn read" in out


def test_a_damaged_kept_comparison_is_named_and_measuring_again_is_the_way_on(
    beside_runs: BesideRuns,
) -> None:
    kept = beside_runs.naive.state / "beside" / "beside-pipeline.json"
    kept.parent.mkdir(parents=True)
    kept.write_text('{"a": {"run": "beside-naive"')
    done = run_jitskit("show", str(beside_runs.naive.root), "--beside")
    assert done.returncode == 0, done.stdout + done.stderr
    out = " ".join(done.stdout.split())
    assert f"the comparison kept in {kept} is damaged (" in out
    assert "add --compare to measure again" in out
