"""Fixtures for the Slurm tests: a real one-node cluster on localhost.

The cluster is started by scripts/start-slurm.sh (make test runs it too). The tests skip
only when that script reports that it cannot install Slurm here, and say why.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from slurmkit import CANNOT_INSTALL, PARTITION, RecordingMachine, jobs_after_settling, start_cluster

from jitskit_tui.sandbox.slurm_jobs import run_jobs_prefix


@pytest.fixture(scope="session")
def cluster() -> str:
    """``slurm://bench`` on the one-node cluster, started when it is not running."""
    done = start_cluster()
    if done.returncode == CANNOT_INSTALL:
        pytest.skip(f"no Slurm cluster here: {done.stderr.strip()}")
    if done.returncode != 0:
        pytest.fail(f"scripts/start-slurm.sh failed (exit {done.returncode}):\n{done.stderr}")
    return f"slurm://{PARTITION}"


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    """The test's own staging folder: on one node, any folder is shared."""
    folder = tmp_path / "staging"
    folder.mkdir()
    return folder


@pytest.fixture
def run_id(cluster: str) -> Iterator[str]:
    """A run id unique to the test; no job of that run may outlive the test."""
    ident = f"test-{uuid.uuid4().hex[:10]}"
    yield ident
    left = jobs_after_settling(run_jobs_prefix(ident))
    # Cancelled whatever the verdict, so that one failure does not hold the node for the next.
    if left:
        subprocess.run(["scancel", *(job.split()[0] for job in left)], check=False, timeout=60)
    assert not left, f"jobs left in the queue: {left}"


@pytest.fixture
def machine(cluster: str, staging: Path) -> RecordingMachine:
    return RecordingMachine(staging)
