"""`jitskit run SPEC` and `jitskit resume RUN` without --headless: the app opens on the
run's dashboard with the run going in it, every option carried over; a bad option fails
before any app is made, with the headless command's message and exit code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from recording import TRAJECTORY
from textual.widgets import Static

from jitskit_tui.cli import run_cmd
from jitskit_tui.cli.main import cli
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.events import RunResumed, RunStarted
from jitskit_tui.tui.app import JitskitApp, RunFirstApp
from jitskit_tui.tui.dashboard.screen import DashboardScreen

Until = Callable[..., Awaitable[None]]


class Opened:
    """Stands in for :func:`run_cmd.show_run`: keeps the app the command built instead of
    running it in this (terminal-less) process."""

    def __init__(self) -> None:
        self.apps: list[JitskitApp] = []

    def __call__(self, app: JitskitApp) -> int:
        self.apps.append(app)
        return 0

    @property
    def app(self) -> JitskitApp:
        (only,) = self.apps
        return only


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    catcher = Opened()
    monkeypatch.setattr(run_cmd, "show_run", catcher)
    monkeypatch.setattr(run_cmd, "app_needs_terminal", lambda: None)  # the runner's is not
    return catcher


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output


def started(ws: Path) -> RunStarted:
    return next(
        e for e in read_events(ws / ".jitskit" / "events.jsonl") if isinstance(e, RunStarted)
    )


async def test_run_opens_the_dashboard_with_the_run_going_and_every_option_kept(
    tiny_card: Path, opened: Opened, until: Until
) -> None:
    code, output = invoke(
        "run",
        str(tiny_card),
        "--agent",
        "scripted",
        "--pace",
        "instant",
        "--trajectory",
        str(TRAJECTORY),
        "--iterations",
        "1",
        "--machine",
        "local",
        "--no-baselines",
        "--workspace",
        "workspaces/by-hand",
        "--seed",
        "5",
    )
    assert code == 0, output
    app = opened.app
    assert isinstance(app, RunFirstApp)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: bool(app.feeds), what="the run's feed")
        (feed,) = app.feeds.values()
        assert isinstance(app.screen, DashboardScreen)
        assert feed.link.kind == "live" and app.live is feed.link
        ws = feed.ws.root
        assert ws.resolve() == (tiny_card.parent.parent / "workspaces" / "by-hand").resolve()
        await until(pilot, lambda: feed.view.state.run_id != "", what="run_started")
        status = str(app.screen.query_one("#status", Static).render())
        assert "live here" in status and "local" in status
        first = started(ws)
        assert first.iterations == 1 and first.machine == "local" and first.agent == "scripted"
        assert first.agent_options == {"pace": "instant", "trajectory": str(TRAJECTORY)}
        assert app.live is not None and app.live.engine.options.seed == 5
        assert app.live.engine.options.baseline is None  # --no-baselines
        # The run goes on in the app, to the end of its one-iteration budget.
        await until(pilot, lambda: feed.link.ended, limit=120, what="the run to finish")
        state = feed.view.state
        assert state.status == "finished" and state.completed == 1
        assert "STOPPED" in str(app.screen.query_one("#status", Static).render())
        # Resuming or forking from the app later starts from this command's choices.
        defaults = app._defaults()
        assert (defaults.agent, defaults.baselines) == ("scripted", False)
        assert defaults.agent_options == {"pace": "instant", "trajectory": str(TRAJECTORY)}
        # The editor (F3) is on the card that was run.
        await pilot.press("f3")
        assert app.editor is not None and app.editor.path == tiny_card


async def test_resume_opens_the_app_on_the_resumed_run(
    recorded: Path, opened: Opened, until: Until, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(recorded.parent.parent)
    code, output = invoke(
        "resume",
        recorded.name,
        "--iterations",
        "4",
        "--pace",
        "instant",
        "--trajectory",
        str(TRAJECTORY),
        "--no-baselines",
    )
    assert code == 0, output
    app = opened.app
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: bool(app.feeds), what="the run's feed")
        (feed,) = app.feeds.values()
        assert isinstance(app.screen, DashboardScreen)
        assert feed.link.kind == "live" and feed.ws.root.name == recorded.name
        await until(pilot, lambda: feed.link.ended, limit=120, what="the run to finish")
        state = feed.view.state
        assert state.iterations_budget == 4 and state.completed == 4
        assert state.status == "finished"
        resumed = [e for e in read_events(feed.ws.events) if isinstance(e, RunResumed)]
        assert resumed[-1].iterations == 4 and resumed[-1].agent_options["pace"] == "instant"


BAD_RUNS = {
    "unreachable machine": (["--machine", "no-such-context"], 3, "cannot evaluate on"),
    "missing trajectory": (["--trajectory", "no/such/folder"], 2, "no such file"),
    "no API key": (["--agent", "anthropic"], 2, "no Anthropic API key"),
    "used workspace": (["--workspace", "specs"], 2, "already exists and is not empty"),
}


@pytest.mark.parametrize("case", list(BAD_RUNS), ids=list(BAD_RUNS))
def test_a_bad_option_fails_before_the_app_as_it_does_headless(
    case: str, tiny_card: Path, opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tiny_card.parent.parent))  # no config with a key
    extra, want_code, want_text = BAD_RUNS[case]
    in_app = invoke("run", str(tiny_card), *extra)
    headless = invoke("run", str(tiny_card), "--headless", *extra)
    assert in_app == headless
    assert in_app[0] == want_code and want_text in in_app[1]
    assert opened.apps == []
    assert not (tiny_card.parent.parent / "workspaces").exists()


def test_a_bad_card_fails_before_the_app_with_its_problems(tiny_card: Path, opened: Opened) -> None:
    tiny_card.write_text(tiny_card.read_text().replace("threads: 2", "threads: many"))
    code, output = invoke("run", str(tiny_card))
    assert code == 2 and "threads" in output
    assert (code, output) == invoke("run", "--headless", str(tiny_card))
    assert opened.apps == []


def test_without_a_terminal_the_app_is_not_opened_and_says_why(tiny_card: Path) -> None:
    code, output = invoke("run", str(tiny_card), "--pace", "instant")
    assert code == 2 and "the app needs a terminal" in output and "--headless" in output
    assert not (tiny_card.parent.parent / "workspaces").exists()


def test_resume_with_a_used_up_budget_fails_before_the_app(recorded: Path, opened: Opened) -> None:
    code, output = invoke("resume", str(recorded))
    assert code == 2 and "the budget is used up" in output
    assert opened.apps == []
