"""The scripted demo, short, with the real baselines: a run whose iterations are paired
against the best and the baselines and that ends with its headline. One run serves every
test that reads such a run (its decisions and headline, its report, its sweep row): the
session fixture `demo_run` (tests/conftest.py) makes it once.

The demo card's first two steps, with trials pinned and one second long, so the run
takes a couple of minutes (the baselines' figures are cached per machine after the first).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.protocol.texts import RANGE_DASH, ratio_number

from support import SPECS, run_jitskit


@dataclass(frozen=True)
class DemoRun:
    ws: Path
    """The run's folder."""
    card: Path
    done: subprocess.CompletedProcess[str]
    """How `jitskit run --headless` ended."""

    @property
    def events(self) -> Path:
        return self.ws / ".jitskit" / "events.jsonl"


def demo_card(dest: Path, loop: dict[str, object]) -> Path:
    """specs/demo.yaml with ``loop``'s fields in place of its own, written to ``dest``."""
    card = yaml.safe_load((SPECS / "demo.yaml").read_text())
    card["loop"].update(loop)
    dest.write_text(yaml.safe_dump(card, sort_keys=False))
    return dest


def short_demo(dest: Path) -> Path:
    return demo_card(
        dest,
        {
            "iterations": 2,
            "audit_every": 2,
            "trials": {"min": 3, "max": 3},
            "quick": {"duration": "1s", "operation_count": "300k"},
            "full": {"duration": "1s", "operation_count": "300k"},
        },
    )


def run_short_demo(root: Path) -> DemoRun:
    """The short demo run headless under ``root``, scripted at instant pace."""
    ws = root / "demo-run"
    card = short_demo(root / "demo.yaml")
    args = ["run", str(card), "--headless", "--agent", "scripted", "--pace", "instant"]
    done = run_jitskit(*args, "--seed", "7", "--workspace", str(ws), timeout=900)
    return DemoRun(ws, card, done)


RATIO = "ratio"
"""``digits`` of a ratio: three significant digits, as :func:`ratio_number` writes them
(``2.21``, ``19.1``, ``0.041``; a ratio measured on a busy machine can be any of them)."""


def with_interval(figure: Interval, digits: str, unit: str) -> str:
    """A figure as the app writes it, spelled out here so a test states what it expects:
    ``2.21x [2.05-2.38]`` (``digits`` :data:`RATIO`, ``unit`` the times sign), ``1,234
    ops/s [1,200-1,270]`` (``digits`` ``,.0f``; an en dash between the ends)."""

    def number(value: float | None) -> str:
        assert value is not None, f"{figure} has no interval"
        return ratio_number(value) if digits == RATIO else f"{value:{digits}}"

    low, high = number(figure.ci_low), number(figure.ci_high)
    return f"{number(figure.point)}{unit} [{low}{RANGE_DASH}{high}]"
