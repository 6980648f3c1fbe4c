"""A naive run's dashboard says it is the naive experiment, and puts what the agent's own
benchmark told it beside what the gates found after the fact."""

from __future__ import annotations

import re

from conftest import wait_for_replay, wait_until
from textual.widgets import Static

from jitskit_tui.tui.app import make_app
from jitskit_tui.tui.dashboard.screen import DashboardScreen
from jitskit_tui.tui.widgets.run_summary import RunSummary

from support.beside_runs import BesideRuns


async def test_the_naive_runs_belief_is_shown_beside_what_the_gates_found(
    beside_runs: BesideRuns,
) -> None:
    app = make_app(beside_runs.naive.root, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_replay(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await wait_until(pilot, lambda: screen.table.row_count == 2, what="2 rows")
        status = str(screen.query_one("#status", Static).render())
        assert "naive experiment" in status

        (feed,) = app.feeds.values()
        notes = [block.title for block in feed.view.transcript.blocks]
        believed = [n for n in notes if n.startswith("the agent believed ")]
        assert len(believed) == 2, notes
        assert "the gates found: every gate passed" in believed[0]
        assert "the gates found: failed concurrency" in believed[1]

        screen.table.move_cursor(row=1)
        await pilot.pause()
        line = str(screen.query_one(RunSummary).render())
        # (a machine busy during the trials is marked after the figure found, not here)
        assert re.search(r"^#2 believed ", line, re.MULTILINE), line
        assert "; found " in line and "failed concurrency" in line
