"""What the remaining screens look like at 80x24 and 160x48: the help screen, the card
picker, the command palette, the abort and fork confirmations and a harness-change
proposal; and the editor and the dashboard squeezed to 40x12.

Update after a deliberate change with ``pytest tests/tui --snapshot-update``, having
looked at the new pictures (the failure report shows both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from jitskit_tui.engine.state import ProposalView
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.screens.confirm import ConfirmDialog, ProposalDialog

SnapCompare = Callable[..., bool]
Until = Callable[..., Awaitable[None]]
Settle = Callable[[Pilot[object]], Awaitable[None]]
SIZES = [(80, 24), (160, 48)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")

PROPOSAL = ProposalView(
    id="p-3-1",
    iteration=3,
    title="Verify durability values outside the store's process",
    rationale=(
        "The verify phase reads values back through the candidate itself, so a store "
        "that remembers what it was asked could answer from memory. Reading the data "
        "directory from a fresh process closes that."
    ),
    diff=(
        "--- a/harness/durability.cc\n+++ b/harness/durability.cc\n@@ -1,3 +1,3 @@\n"
        " // verify phase\n-verify_in_process(store);\n+verify_in_fresh_process(dir);\n"
        " return ok;\n"
    ),
)


def pushing(until: Until, make: Callable[[], Screen[object]]) -> Callable[..., Awaitable[None]]:
    """Waits for the recorded run to be folded, then opens the screen ``make`` builds."""

    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, JitskitApp)
        await until(
            pilot, lambda: bool(app.feeds) and all(s.link.ended for s in app.feeds.values())
        )
        app.push_screen(make())
        await pilot.pause(0.3)

    return run_before


@size_ids
def test_help_screen_sizes(
    snap_compare: SnapCompare, demo_card: Path, settle: Settle, size: tuple[int, int]
) -> None:
    assert snap_compare(
        make_app(demo_card, cursor_blink=False), terminal_size=size, run_before=settle, press=["f1"]
    )


@size_ids
def test_card_picker(
    snap_compare: SnapCompare, demo_card: Path, settle: Settle, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause(0.2)

    assert snap_compare(
        make_app(demo_card, cursor_blink=False), terminal_size=size, run_before=run_before
    )


@size_ids
def test_command_palette_filtered(
    snap_compare: SnapCompare, recorded: Path, until: Until, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, JitskitApp)
        await until(
            pilot, lambda: bool(app.feeds) and all(s.link.ended for s in app.feeds.values())
        )
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        palette.query_one(Input).cursor_blink = False  # a blinking cursor is a coin toss
        await pilot.press(*"diff")
        found = palette.query_one(CommandList)
        # The search runs in a worker: wait for it to finish and the list to settle.
        await until(
            pilot,
            lambda: (
                found.option_count >= 4
                and not palette._show_busy
                and not [w for w in app.workers if w.node is palette and not w.is_finished]
            ),
        )
        await pilot.pause(0.3)

    assert snap_compare(
        make_app(recorded, cursor_blink=False), terminal_size=size, run_before=run_before
    )


@size_ids
def test_abort_confirmation(
    snap_compare: SnapCompare, recorded: Path, until: Until, size: tuple[int, int]
) -> None:
    def dialog() -> Screen[object]:
        return ConfirmDialog(  # type: ignore[return-value]
            "Abort the run now?",
            "This cancels iteration 2 (benchmarking) at once. Everything written so far is "
            "kept, and resuming redoes the unfinished iteration. To end gently, Stop (S) "
            "waits for the iteration to be committed.",
            "Abort now",
            danger=True,
        )

    assert snap_compare(
        make_app(recorded, cursor_blink=False),
        terminal_size=size,
        run_before=pushing(until, dialog),
    )


@size_ids
def test_proposal_dialog(
    snap_compare: SnapCompare, recorded: Path, until: Until, size: tuple[int, int]
) -> None:
    def dialog() -> Screen[object]:
        return ProposalDialog(PROPOSAL, can_decide=True)  # type: ignore[return-value]

    assert snap_compare(
        make_app(recorded, cursor_blink=False),
        terminal_size=size,
        run_before=pushing(until, dialog),
    )


def test_editor_at_40x12(snap_compare: SnapCompare, demo_card: Path, settle: Settle) -> None:
    assert snap_compare(
        make_app(demo_card, cursor_blink=False), terminal_size=(40, 12), run_before=settle
    )


def test_dashboard_at_40x12(snap_compare: SnapCompare, recorded: Path, until: Until) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, JitskitApp)
        await until(
            pilot, lambda: bool(app.feeds) and all(s.link.ended for s in app.feeds.values())
        )
        await pilot.pause(0.3)
        # At 12 rows the iterations table scrolls to the last iteration: let it land.
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.1)

    assert snap_compare(
        make_app(recorded, cursor_blink=False), terminal_size=(40, 12), run_before=run_before
    )
