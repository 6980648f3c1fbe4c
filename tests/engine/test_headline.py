"""The headline: when a run ends finished or stopped, and on demand with `jitskit confirm`
on a run that is not live, its best is measured at the full size on a held-out trace seed,
paired against the best comparable baseline (and each baseline within 2x of the best's
cached figure; the others listed unpaired). It is written to `results/headline.json`,
committed on the `best` branch with a trailer, logged, and shown by `runs` and `show`. A
run with no passing iteration has none and says why.

The run's baseline measurement is a stand-in naming the real mutex-map adapter (measured
beside the best, for real) and an lmdb figure far from the best (listed unpaired), so no
test waits for every real baseline.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import git
import pytest
from enginekit import HERE, new_workspace, run_cli
from stepkit import Stores, StoreStep, cached_baselines, card, engine_for, trajectory

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.gitrepo import parse_trailers
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.controls import Stop
from jitskit_tui.protocol.events import Event, HeadlineMeasured, IterationStarted, RunFinished
from jitskit_tui.protocol.headline import Headline
from jitskit_tui.spec import load_spec

pytestmark = pytest.mark.slow

CACHED = {"mutex-map": 5_000_000.0, "lmdb": 1_000.0}


stand_in_baselines = cached_baselines(CACHED, "mutex-map")


def run_engine(ws: Workspace, steps: Path, *, stop_in: int | None = None) -> RunFinished:
    engine = engine_for(ws, steps, 2, baseline=stand_in_baselines)

    def stop(event: Event) -> None:
        if isinstance(event, IterationStarted) and event.iteration == stop_in:
            engine.handle_control(Stop(source="test"))

    engine.log.subscribe(stop)
    return asyncio.run(engine.run())


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, RunFinished]:
    root = tmp_path_factory.mktemp("headline")
    stores = Stores(root / "stores")
    steps = trajectory(
        root / "trajectory",
        [StoreStep("The reference", stores.twin(0)), StoreStep("Again", stores.twin(0))],
    )
    ws = new_workspace(root, card(root / "card.yaml", iterations=2, audit_every=2))
    finished = run_engine(ws, steps, stop_in=1)
    return ws, finished


def headlines(ws: Workspace) -> list[HeadlineMeasured]:
    return [e for e in read_events(ws.events) if isinstance(e, HeadlineMeasured)]


def test_a_stopped_run_ends_with_its_headline_paired_against_the_baseline(
    stopped: tuple[Workspace, RunFinished],
) -> None:
    ws, finished = stopped
    assert finished.status == "stopped" and finished.best_iteration == 1
    (headline,) = headlines(ws)
    assert headline.best_iteration == 1 and headline.size == "full" and headline.counts
    assert headline.seed != load_spec(ws.spec_file).workload.seed  # never the card's trace
    assert headline.against == "baseline:mutex-map"
    chosen = headline.headline_comparison
    assert chosen is not None and chosen.paired and chosen.ratio.n == headline.trials == 3
    assert chosen.ci_low is not None and chosen.ci_high is not None
    assert chosen.ci_low <= chosen.ratio.point <= chosen.ci_high
    assert headline.unpaired == {"lmdb": CACHED["lmdb"]}
    assert finished.headline == headline.text
    assert headline.text.endswith(" vs mutex-map") and "[" in headline.text
    saved = Headline.model_validate_json((ws.results / "headline.json").read_text())
    assert saved.seed == headline.seed and saved.comparisons == headline.comparisons


def test_the_headline_is_committed_on_the_best_branch_with_its_trailer(
    stopped: tuple[Workspace, RunFinished],
) -> None:
    ws, _ = stopped
    (headline,) = headlines(ws)[:1]
    repo = git.Repo(ws.root)
    tip = repo.commit("best")
    assert tip.hexsha == headline.commit
    assert tip.parents[0].hexsha == headline.best_sha
    trailer = parse_trailers(str(tip.message))["Jitskit-Headline"]
    assert trailer.endswith(f"(full, paired, 3 trials, seed {headline.seed})")
    assert " vs mutex-map " in trailer and "\u2013" not in trailer
    assert json.loads((tip.tree / "results/headline.json").data_stream.read())["seed"] == (
        headline.seed
    )
    # The work tree's copy stays out of later iteration commits.
    assert not repo.is_dirty(untracked_files=True)


def test_confirm_measures_a_stopped_run_again_and_runs_and_show_report_it(
    stopped: tuple[Workspace, RunFinished], tmp_path: Path
) -> None:
    ws, _ = stopped
    out = tmp_path / "headline.json"
    done = run_cli("confirm", str(ws.root), "--json", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    first, second = headlines(ws)
    assert second.best_iteration == 1 and second.seed != first.seed
    assert f"headline: {second.text}" in done.stdout
    written = json.loads(out.read_text())
    assert written["seed"] == second.seed and written["commit"] == second.commit
    assert written["against"] == "baseline:mutex-map" and written["unpaired"] == {"lmdb": 1000.0}
    repo = git.Repo(ws.root)
    assert repo.commit("best").hexsha == second.commit
    kept = {ref.commit.hexsha for ref in repo.refs if ref.path.startswith("refs/jitskit/headlines")}
    assert kept == {first.commit, second.commit}

    listing = run_cli("runs", "--dir", str(ws.root.parent))
    row = next(line for line in listing.stdout.splitlines() if line.startswith(ws.name))
    assert second.text in row and row.rstrip().endswith("stopped")
    shown = run_cli("show", str(ws.root), "--no-diff")
    assert shown.returncode == 0, shown.stderr
    assert f"headline: {second.text}" in shown.stdout
    assert "paired:   " in shown.stdout and "vs mutex-map" in shown.stdout
    assert "unpaired: lmdb at 1,000 ops/s" in shown.stdout


def test_a_run_with_no_passing_iteration_has_no_headline_and_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "store.cc").write_text((HERE / "trajectory" / "03" / "broken.cc").read_text())
    steps = trajectory(tmp_path / "trajectory", [StoreStep("Broken", broken)])
    ws = new_workspace(tmp_path, card(tmp_path / "card.yaml", iterations=2, audit_every=2))
    finished = run_engine(ws, steps)
    assert finished.status == "finished" and finished.best_iteration is None
    assert finished.headline.startswith("no headline: no iteration passed every gate")
    assert headlines(ws) == []
    refused = run_cli("confirm", str(ws.root))
    assert refused.returncode == 1
    assert "no headline: no iteration passed every gate" in refused.stderr
