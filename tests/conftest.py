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
