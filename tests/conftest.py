"""Shared fixtures."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support import run_jitskit
from support.demo_run import DemoRun, run_short_demo


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
