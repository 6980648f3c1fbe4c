"""Fixtures for the TUI tests: a folder of cards as the current directory, and helpers
that wait for the app's workers instead of sleeping."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from recording import RECORDED, TINY, restore
from recording_trials import RECORDED_TRIALS, restore_trials
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


# -- runs: the recorded one, and live ones with the scripted agent -----------------------


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates in the runs browser are local time: make that the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """The recorded three-iteration run, restored under ``workspaces/``."""
    return restore(tmp_path / "workspaces" / "tiny-recorded")


def seq_where(predicate: Callable[[dict[str, object]], bool], source: Path = RECORDED) -> int:
    """The sequence number of the last event recorded in ``source`` matching
    ``predicate``."""
    found = 0
    for line in (source / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if predicate(event):
            found = int(event["seq"])
    assert found, "no such event in the recording"
    return found


@pytest.fixture
def mid_run(tmp_path: Path) -> Path:
    """The recorded run cut during iteration 2's benchmark, after its last tick."""
    upto = seq_where(
        lambda e: e["type"] == "bench_tick" and e["iteration"] == 2 and e["purpose"] == "iteration"
    )
    return restore(tmp_path / "workspaces" / "tiny-recorded", upto_seq=upto)


@pytest.fixture
def trials_recorded(tmp_path: Path) -> Path:
    """The recorded run with trials, decisions, a fallback and two headlines
    (`recording_trials.py`), restored under ``workspaces/``."""
    return restore_trials(tmp_path / "workspaces" / "tiny-trials")


def trials_upto(tmp_path: Path, predicate: Callable[[dict[str, object]], bool]) -> Path:
    """The recorded run with trials, its log cut after the last event matching
    ``predicate``."""
    upto = seq_where(predicate, RECORDED_TRIALS)
    return restore_trials(tmp_path / "workspaces" / "tiny-trials", upto_seq=upto)


@pytest.fixture
def tiny_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tests' tiny card in ``specs/`` of a fresh working folder (runs go beside it)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    shutil.copy(TINY, tmp_path / "specs" / "tiny.yaml")
    return Path("specs/tiny.yaml")


async def wait_until(
    pilot: Pilot[object], predicate: Callable[[], bool], limit: float = 90.0, what: str = ""
) -> None:
    """Lets the app run until ``predicate`` holds and every queued event is folded."""
    app = pilot.app
    deadline = time.monotonic() + limit
    while True:
        await pilot.pause(0.05)
        feeds = list(getattr(app, "feeds", {}).values())
        drained = all(feed.backlog == 0 for feed in feeds)
        if drained and predicate():
            await pilot.pause()
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")


@pytest.fixture
def until() -> Callable[..., Awaitable[None]]:
    """``await until(pilot, lambda: ..., what="...")``: see :func:`wait_until`."""
    return wait_until


async def wait_for_replay(pilot: Pilot[object]) -> None:
    """Lets the app run until every run it shows is replayed to the end of its log."""
    app = pilot.app
    feeds = getattr(app, "feeds", {})
    await wait_until(
        pilot,
        lambda: bool(feeds) and all(feed.link.ended for feed in feeds.values()),
        what="the replay",
    )


class Told:
    """A message hook keeping what the app tells the user in notifications: ``texts``
    (their messages) and ``titled`` (``title: message``)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.titled: list[str] = []

    def __call__(self, message: object) -> None:
        notification = getattr(message, "notification", None)
        if notification is not None:
            self.texts.append(notification.message)
            self.titled.append(f"{notification.title}: {notification.message}")
