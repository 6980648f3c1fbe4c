"""Helpers for the sweep tests: the two tiny cards, the engine tests' trajectory, the
command line of a sweep, and what the runs' logs say."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.events import Event
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.manifest import load_manifest

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
TINY = TESTS / "engine" / "tiny.yaml"
TINY_READS = HERE / "tiny-reads.yaml"
TRAJECTORY = TESTS / "engine" / "trajectory"
JITSKIT = Path(sys.executable).with_name("jitskit")


def sweep_args(
    folder: Path, *extra: str, cards: tuple[Path, ...] = (TINY, TINY_READS)
) -> list[str]:
    """`jitskit sweep` of ``cards`` with the scripted agent at instant pace (no baselines:
    measuring them is `jitskit baselines`' job and takes a minute a card)."""
    return [
        "sweep",
        *(str(card) for card in cards),
        "--agent", "scripted", "--pace", "instant", "--trajectory", str(TRAJECTORY),
        "--no-baselines", "--seed", "7", "--workspace", str(folder), *extra,
    ]  # fmt: skip


def env() -> dict[str, str]:
    environ = {**os.environ, "NO_COLOR": "1"}
    environ.pop("ANTHROPIC_API_KEY", None)
    return environ


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(JITSKIT), *args], capture_output=True, text=True, timeout=timeout, env=env()
    )


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(JITSKIT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )


def run_logs(folder: Path) -> dict[str, list[Event]]:
    """Each run's events by card name (runs not started have none)."""
    sweep = SweepFolder(folder)
    logs = {}
    for entry in load_manifest(sweep).entries:
        events = folder / entry.workspace / ".jitskit" / "events.jsonl"
        logs[entry.spec_name] = read_events(events) if events.is_file() else []
    return logs


def wait_for(predicate: Callable[[], bool], timeout_s: float = 300, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f}s: {what}")
        time.sleep(0.2)


def svg_group(page: str, gid: str) -> str:
    """The opening of the SVG group with id ``gid`` in ``page``, up to its first ``</g>``
    (a chart's group of whiskers or of one kind of mark)."""
    start = page.index(f'<g id="{gid}"')
    return page[start : page.index("</g>", start)]
