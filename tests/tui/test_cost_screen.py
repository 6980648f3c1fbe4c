"""The cost screen ($ on the dashboard): tokens and dollars by role and by iteration, the
card's caps and how much of each is used, following the run while open; a scripted run
is said to cost nothing. Shown on the recorded run given the cost a model-driven agent
would have logged (a `cost_update` after every agent turn)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from conftest import wait_for_replay
from costed import write_costed
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from jitskit_tui.protocol.events import CostUpdate
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.keymap import RUN_KEYS
from jitskit_tui.tui.screens.cost import SCRIPTED_NOTE, CostScreen
from jitskit_tui.tui.screens.help import area_rows

Until = Callable[..., Awaitable[None]]
SnapCompare = Callable[..., bool]
SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def costed(tmp_path: Path) -> Path:
    return write_costed(tmp_path / "workspaces" / "tiny-costed")


async def open_cost(pilot: Pilot[object], until: Until) -> CostScreen:
    """Waits for the replay, presses $ on the dashboard, waits for the caps."""
    app = pilot.app
    assert isinstance(app, JitskitApp)
    await wait_for_replay(pilot)
    assert isinstance(app.screen, DashboardScreen)
    await pilot.press("dollar_sign")
    await until(pilot, lambda: isinstance(app.screen, CostScreen), what="the cost screen")
    screen = app.screen
    assert isinstance(screen, CostScreen)
    budget = screen.query_one("#cost-budget", Static)
    await until(pilot, lambda: "wall time" in text(budget), what="the caps")
    return screen


def text(widget: Static) -> str:
    return str(widget.render())


def rows(table: DataTable[object]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_cost_by_role_and_by_iteration_against_the_caps(costed: Path, until: Until) -> None:
    app = make_app(costed, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_cost(pilot, until)
        # Each role ran once per iteration: its totals are 1+2+3 = 6 turns' worth.
        roles = rows(screen.query_one("#cost-roles", DataTable))
        assert roles == [
            ["planner", "72.0k", "9.00k", "120k", "24.0k", "225k", "$0.72"],
            ["coder", "240k", "54.0k", "900k", "48.0k", "1.24M", "$5.10"],
            ["critic", "48.0k", "4.80k", "60.0k", "0", "113k", "$0.30"],
            ["auditor", "90.0k", "12.0k", "180k", "30.0k", "312k", "$1.26"],
            ["total", "450k", "79.8k", "1.26M", "102k", "1.89M", "$7.38"],
        ]
        its = rows(screen.query_one("#cost-iterations", DataTable))
        assert [r[0] for r in its] == ["1", "2", "3"]
        assert its[0][1] == "Reference store with 16 ordered shards"
        assert [r[2:] for r in its] == [
            ["315k", "$1.23", "$0.12", "$0.85", "$0.05", "$0.21"],
            ["631k", "$2.46", "$0.24", "$1.70", "$0.10", "$0.42"],
            ["946k", "$3.69", "$0.36", "$2.55", "$0.15", "$0.63"],
        ]
        summary = text(screen.query_one("#cost-summary", Static))
        assert "anthropic agent" in summary and "1,891,800 tokens" in summary
        budget = text(screen.query_one("#cost-budget", Static)).splitlines()
        assert budget[0].startswith("tokens") and budget[0].endswith("1.89M of 2.50M (76%)")
        assert budget[1].endswith("$7.38 of $7.00 (105%) · cap reached")
        assert budget[2].endswith("0:18 of 10:00 (3%)")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="closed")


async def test_the_open_screen_follows_new_cost(costed: Path, until: Until) -> None:
    app = make_app(costed, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_cost(pilot, until)
        (feed,) = app.feeds.values()
        last = feed.view.state.last_seq
        feed.push(
            CostUpdate(
                seq=last + 1,
                ts=0,
                iteration=3,
                role="critic",
                input_tokens=1_000_000,
                dollars=2.0,
            )
        )
        table = screen.query_one("#cost-roles", DataTable)
        await until(pilot, lambda: rows(table)[2][-1] == "$2.30", what="the critic's new cost")
        assert rows(table)[2][1] == "1.05M"
        assert rows(table)[-1][-1] == "$9.38"
        its = rows(screen.query_one("#cost-iterations", DataTable))
        assert its[2][3] == "$5.69" and its[2][6] == "$2.15"
        budget = text(screen.query_one("#cost-budget", Static))
        assert "2.89M of 2.50M (116%) · cap reached" in budget


async def test_a_scripted_run_is_said_to_cost_nothing(recorded: Path, until: Until) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_cost(pilot, until)
        assert text(screen.query_one("#cost-summary", Static)) == SCRIPTED_NOTE
        assert not screen.query_one("#cost-roles", DataTable).display
        assert not screen.query_one("#cost-iterations", DataTable).display
        budget = text(screen.query_one("#cost-budget", Static))
        assert budget.startswith("wall time") and "used; the card sets no cap" in budget
        assert "tokens" not in budget and "$" not in budget


async def test_the_palette_and_the_help_offer_it(costed: Path, until: Until) -> None:
    assert ("$", "Tokens and dollars by role and by iteration, against the budget") in area_rows(
        RUN_KEYS
    )
    app = make_app(costed, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(
            pilot,
            lambda: bool(app.feeds) and all(s.link.ended for s in app.feeds.values()),
            what="replay",
        )
        await pilot.press("ctrl+p", *"cost")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CostScreen), what="the cost screen")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cost_screen_sizes(
    snap_compare: SnapCompare, tmp_path: Path, until: Until, size: tuple[int, int]
) -> None:
    ws = write_costed(tmp_path / "workspaces" / "tiny-costed")

    async def run_before(pilot: Pilot[object]) -> None:
        await open_cost(pilot, until)
        await pilot.pause(0.3)

    assert snap_compare(make_app(ws, cursor_blink=False), terminal_size=size, run_before=run_before)


def test_scripted_cost_screen(snap_compare: SnapCompare, recorded: Path, until: Until) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await open_cost(pilot, until)
        await pilot.pause(0.3)

    assert snap_compare(
        make_app(recorded, cursor_blink=False), terminal_size=(80, 24), run_before=run_before
    )
