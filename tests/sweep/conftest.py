"""The sweep every test of a finished sweep reads: two tiny cards, two loops at once on
this host, two iterations each (about a minute), made once per session."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sweepkit import run_cli, sweep_args


@pytest.fixture(scope="session")
def swept(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The sweep's folder, and how `jitskit sweep` ended."""
    folder = tmp_path_factory.mktemp("swept") / "sweep"
    done = run_cli(*sweep_args(folder, "--iterations", "2", "--parallel", "2"))
    return folder, done
