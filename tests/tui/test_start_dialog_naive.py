"""The start dialog offers the naive experiment (`--naive`) for an agent that runs it,
Claude Code, on a row of its own that fits 80x24; a resume shows the run's choice and
keeps it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from recording import FAST_RUNS
from textual.widgets import Checkbox, RadioButton

from jitskit_tui.agents.registry import AGENT_BACKENDS
from jitskit_tui.launch.choices import RunChoices
from jitskit_tui.tui.app import JitskitApp, make_app
from jitskit_tui.tui.screens.start_run import StartRunDialog

Until = Callable[..., Awaitable[None]]


async def open_dialog(
    app: JitskitApp, pilot: object, until: Until, defaults: RunChoices, *, resuming: bool
) -> StartRunDialog:
    dialog = StartRunDialog(
        "Run", defaults, budget_hint="3", machine_hint="local", resuming=resuming
    )
    app.push_screen(dialog)
    await until(pilot, lambda: app.screen is dialog)
    return dialog


def choose_agent(dialog: StartRunDialog, name: str) -> None:
    (button,) = [
        b for b in dialog.query("#agent RadioButton").results(RadioButton) if b.name == name
    ]
    button.value = True


async def test_the_naive_experiment_is_offered_for_claude_code_only(
    tiny_card: Path, until: Until
) -> None:
    app = make_app(tiny_card, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(app, pilot, until, FAST_RUNS, resuming=False)
        naive = dialog.query_one("#naive", Checkbox)
        assert naive.disabled  # the scripted agent cannot run it
        # On the screen at 80x24, inside the dialog.
        assert naive.region.bottom <= 23 and naive.region.width > 0

        choose_agent(dialog, "claude-code")
        await until(pilot, lambda: not naive.disabled, what="the row to be enabled")
        await pilot.click("#naive")
        assert naive.value
        chosen = dialog.choices()
        assert chosen is not None and chosen.naive and chosen.agent == "claude-code"

        choose_agent(dialog, "scripted")  # ticked, then an agent that cannot run it
        await until(pilot, lambda: naive.disabled)
        chosen = dialog.choices()
        assert chosen is not None and not chosen.naive


async def test_a_resume_shows_the_runs_choice_and_keeps_it(tiny_card: Path, until: Until) -> None:
    app = make_app(tiny_card, cursor_blink=False)
    recorded = RunChoices(agent="claude-code", naive=True)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(app, pilot, until, recorded, resuming=True)
        naive = dialog.query_one("#naive", Checkbox)
        assert naive.value and naive.disabled
        chosen = dialog.choices()
        assert chosen is not None and chosen.naive


def test_the_dialog_offers_it_for_the_backends_whose_agents_run_it() -> None:
    from jitskit_tui.agents.anthropic.agent import AnthropicAgent
    from jitskit_tui.agents.claude_code.agent import ClaudeCodeAgent
    from jitskit_tui.agents.scripted.agent import ScriptedAgent

    classes = {"scripted": ScriptedAgent, "anthropic": AnthropicAgent}
    classes["claude-code"] = ClaudeCodeAgent
    assert {b.name: b.runs_naive for b in AGENT_BACKENDS} == {
        name: cls.runs_naive for name, cls in classes.items()
    }
