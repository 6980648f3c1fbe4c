"""Fixtures for the TUI tests: a folder of cards as the current directory, and helpers
that wait for the app's workers instead of sleeping."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.worker import WorkerCancelled

from support import SPECS

# Three problems: a missing key (reported at its mapping), a value out of range, a typo.
BROKEN_CARD = """\
name: broken
requirement:
  operations: [read, upsert]
  durability: none
environment:
  cpus: 2
  memory_limit: 1GiB
  store_memory_budget: 256MiB
workload:
  preset: A
  record_count: 100k
  operation_count: 1M
  value_size: 16
  thredas: 2
"""


@pytest.fixture
def cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding ``specs/`` with a few shipped cards and a broken one."""
    monkeypatch.chdir(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    for name in ("demo.yaml", "hotspot-counters.yaml", "ycsb-e-short-scans.yaml"):
        shutil.copy(SPECS / name, specs / name)
    (specs / "broken.yaml").write_text(BROKEN_CARD)
    return tmp_path


@pytest.fixture
def demo_card(cards: Path) -> Path:
    return Path("specs/demo.yaml")


@pytest.fixture
def broken_card(cards: Path) -> Path:
    return Path("specs/broken.yaml")


@pytest.fixture
def settle() -> Callable[[Pilot[object]], Awaitable[None]]:
    """``await settle(pilot)``: see :func:`wait_for_workers`."""
    return wait_for_workers


async def wait_for_workers(pilot: Pilot[object]) -> None:
    """Waits until the app's workers (validation, saving, loading) are done and the
    screen has caught up. Workers waiting on an open dialog are left waiting."""
    app = pilot.app
    for _ in range(20):
        await pilot.pause()
        dialog = app.screen if isinstance(app.screen, ModalScreen) else None
        pending = [
            w
            for w in app.workers
            if not w.is_finished and (dialog is None or w.group == "check" or w.node is dialog)
        ]
        if not pending:
            return
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete(pending)
    raise AssertionError("workers kept starting workers")
