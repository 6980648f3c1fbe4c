"""What keeps a review's launch under a second: the first frame of a replayed run loads
and builds only what it shows (the status, the iterations, the transcript); the other
panes, the live chart and the editor come after it, or at once when asked for. The
launch itself is measured in a real terminal by benchmarks/tui_responsiveness.py."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.dashboard.panes import BuiltPanes, PaneSwitcher
from jitskit_tui.tui.dashboard.screen import DashboardScreen

Until = Callable[..., Awaitable[None]]

LATER = [
    "textual_plotext",  # the charts
    "pygments",  # the diff's highlighting
    "git",  # diffs and logs
    "jitskit_tui.tui.widgets.charts",
    "jitskit_tui.tui.widgets.diff_pane",
    "jitskit_tui.tui.widgets.gates_pane",
    "jitskit_tui.tui.widgets.logs_pane",
    "jitskit_tui.tui.screens.editor",
    "jitskit_tui.engine.loop",  # the engine: only to run one
    "docker",
]


def test_the_dashboard_module_loads_none_of_what_comes_later() -> None:
    # A fresh interpreter: this one has loaded everything by now.
    probe = (
        "import sys; import jitskit_tui.cli.main, jitskit_tui.cli.tui_cmd, "
        "jitskit_tui.tui.app, jitskit_tui.tui.dashboard.screen; "
        f"print([m for m in {LATER!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


async def test_the_hidden_panes_are_built_after_the_run_is_on_screen(
    recorded: Path, until: Until, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown_then: list[str] = []
    build = PaneSwitcher.build

    def build_panes(self: PaneSwitcher) -> BuiltPanes:
        if self.built is None:
            shown_then.append(str(self.screen.query_one("#status", Static).render()))
        return build(self)

    monkeypatch.setattr(PaneSwitcher, "build", build_panes)
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert not screen.query("DiffPane, ChartsPane, GatesPane, LogsPane, LiveOpsChart")
        await until(pilot, lambda: bool(shown_then), what="the panes to be built")
        # Built once the replay was drawn, without a key pressed; the wide layout's live
        # chart with them.
        assert "STOPPED (finished)" in shown_then[0]
        await until(pilot, lambda: bool(screen.query("#diff, #charts, #top-live-chart")))
        assert len(screen.query("#diff, #charts, #gates, #logs, #top-live-chart")) == 5
        assert app.editor is None  # the editor is made when it is first shown (F3)


async def test_a_pane_asked_for_at_once_is_built_then(recorded: Path, until: Until) -> None:
    app = make_app(recorded, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.panes.built is None
        await pilot.press("4")  # gates and audit, before the run's events are folded
        assert screen.panes.built is not None
        gates = screen.query_one("#gate-matrix", DataTable)
        await until(pilot, lambda: gates.row_count > 4, what="the gate matrix")
        await pilot.press("2", "v")  # the diff, side by side: a key for a pane just built
        diff = screen.panes.built.diff
        await until(pilot, lambda: diff.view.parsed is not None, what="the diff")
        assert diff.view.split


def test_make_app_on_a_run_opens_its_dashboard_first(recorded: Path) -> None:
    app = make_app(recorded)
    assert isinstance(app, JitskitApp) and app.DEFAULT_MODE == "dashboard"
