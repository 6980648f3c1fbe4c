"""Shared fixtures."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support import run_jitskit
from support.demo_run import DemoRun, run_short_demo

if TYPE_CHECKING:
    from support.beside_runs import BesideRuns


SHARED_RUNS = {
    "demo_run": "demo-run",
    "made_beside_runs": "beside-runs",
    "built": "harness-build",
    "decided_run": "decided-run",
}
"""Session fixtures that build a whole run (or the C++ harness, tests/harness_cpp), by
name, and their group: every test using one goes to the same worker."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs two pytest workers (xdist's `loadgroup`): each test file stays on
    one worker, so its module fixtures are made once; the tests of a session-built run
    share a worker, so the run is made once; the Slurm tests share one, as they share the
    one-node cluster, and so do the Docker tests, which share the daemon's networks and
    images. Two workers put at most two evaluations side by side, as a second app or a
    sweep does; the tests hold to that (a store against a twin 2x slower, pinned trials)."""
    # Workers collect the tests and xdist sets their `dist` to "no": the choice made on
    # the command line reaches them as `loadgroup`.
    if not getattr(config.option, "loadgroup", False):
        return
    groups: dict[pytest.Item, str] = {}
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        shared = [group for name, group in SHARED_RUNS.items() if name in fixtures]
        if shared:
            group = shared[0]
        elif item.get_closest_marker("slurm"):
            group = "slurm"
        elif item.get_closest_marker("docker"):
            group = "docker"
        else:
            group = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
        groups[item] = group
    # The groups that evaluate real stores go out first, so the quick ones fill the end
    # of both workers rather than one long group running alone at the end.
    heavy = {g for item, g in groups.items() if any(item.iter_markers(name="slow"))}
    heavy |= {*SHARED_RUNS.values(), "slurm", "docker"}
    items.sort(key=lambda item: groups[item] not in heavy)


@pytest.fixture
def jitskit() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_jitskit


@pytest.fixture
def write_card(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "card.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The short scripted demo with the real baselines, run once a session (a couple of
    minutes): paired figures, decisions and a headline (tests/support/demo_run.py)."""
    return run_short_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def made_beside_runs(tmp_path_factory: pytest.TempPathFactory) -> BesideRuns:
    from support.beside_runs import make_runs

    return make_runs(tmp_path_factory.mktemp("beside"))


@pytest.fixture
def beside_runs(made_beside_runs: BesideRuns, tmp_path: Path) -> BesideRuns:
    """A naive run and a pipeline run of one small card (see `support.beside_runs`), made
    once per session, copied for each test."""
    from support.beside_runs import copy_runs

    return copy_runs(made_beside_runs, tmp_path)
