"""What the editor looks like, at 80x24 and 160x48, on a valid and on an invalid card.

Update after a deliberate change with ``pytest tests/tui --snapshot-update``, having
looked at the new pictures (the failure report shows both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from jitskit_tui.tui.app import make_app

SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (160, 48)]

Settle = Callable[[Pilot[object]], Awaitable[None]]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_editor_on_a_valid_card(
    snap_compare: SnapCompare, demo_card: Path, size: tuple[int, int], settle: Settle
) -> None:
    assert snap_compare(
        make_app(demo_card, cursor_blink=False), terminal_size=size, run_before=settle
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_editor_on_an_invalid_card(
    snap_compare: SnapCompare, broken_card: Path, size: tuple[int, int], settle: Settle
) -> None:
    assert snap_compare(
        make_app(broken_card, cursor_blink=False), terminal_size=size, run_before=settle
    )


def test_summary_pane_on_a_narrow_terminal(
    snap_compare: SnapCompare, demo_card: Path, settle: Settle
) -> None:
    assert snap_compare(
        make_app(demo_card, cursor_blink=False),
        terminal_size=(80, 24),
        run_before=settle,
        press=["f2"],
    )


def test_help_screen(snap_compare: SnapCompare, demo_card: Path, settle: Settle) -> None:
    assert snap_compare(
        make_app(demo_card, cursor_blink=False),
        terminal_size=(80, 24),
        run_before=settle,
        press=["f1"],
    )
