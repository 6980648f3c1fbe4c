"""Assembling a run from choices (`jitskit run`, `jitskit resume` and the app share it): a
resume starts from what the run was started with (its agent and options, machine and
budget, even when that agent is not the default here); a choice that cannot work fails
before anything is made, saying which choice and why."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from jitskit_tui.agents.registry import agent_names
from jitskit_tui.engine.eventlog import EventLog
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.launch.choices import LaunchError, RunChoices
from jitskit_tui.launch.runs import recorded_choices, resume_run, start_run
from jitskit_tui.protocol.events import RunFinished, RunStarted
from jitskit_tui.spec import load_spec
from jitskit_tui.spec.model import AgentName

from support import SPECS

CARD = SPECS / "demo.yaml"


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default agent here is the offline one."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def recorded_run(
    tmp_path: Path, agent: str, options: dict[str, str], machine: str = "tcp://bench:2375"
) -> Workspace:
    ws = create_workspace(load_spec(CARD), CARD, tmp_path / "run")
    log = EventLog(ws.events)
    log.append(
        RunStarted(
            run_id=ws.name,
            spec_name="demo",
            spec_sha256="x",
            agent=agent,
            agent_options=options,
            machine=machine,
            iterations=7,
            workspace=str(ws.root),
            pid=1,
        )
    )
    log.append(RunFinished(status="stopped", reason="stopped by the user", completed=0))
    log.close()
    return ws


def test_a_resume_starts_with_the_agent_the_run_was_started_with(tmp_path: Path) -> None:
    ws = recorded_run(tmp_path, "anthropic", {})
    choices, state = recorded_choices(ws)
    assert (choices.agent, choices.agent_options) == ("anthropic", {})
    assert (choices.machine, choices.iterations) == ("tcp://bench:2375", 7)
    assert state.iterations_budget == 7


def test_a_resume_keeps_the_agents_options_it_still_takes(tmp_path: Path) -> None:
    ws = recorded_run(tmp_path, "scripted", {"pace": "warp", "trajectory": "/t", "gone": "x"})
    choices, _ = recorded_choices(ws)
    assert (choices.agent, choices.agent_options) == ("scripted", {"trajectory": "/t"})
    # Another agent chosen for the resume does not inherit the scripted agent's options.
    other = choices.with_agent("anthropic", {})
    assert (other.agent, other.agent_options) == ("anthropic", {})
    assert choices.with_agent(None, {"pace": "fast"}).agent_options == {
        "trajectory": "/t",
        "pace": "fast",
    }


def test_an_agent_this_build_lacks_falls_back_to_the_default(tmp_path: Path) -> None:
    ws = recorded_run(tmp_path, "retired-backend", {"knob": "1"})
    choices, _ = recorded_choices(ws)
    assert (choices.agent, choices.agent_options) == ("scripted", {})


def test_a_fork_from_an_iteration_never_committed_is_refused(tmp_path: Path) -> None:
    ws = recorded_run(tmp_path, "scripted", {"pace": "instant"})
    with pytest.raises(LaunchError) as caught:
        resume_run(ws, RunChoices(fork_from=3))
    assert caught.value.choice == "fork_from"
    assert caught.value.message == "run: iteration 3 is not a committed iteration"


def test_an_address_no_machine_takes_fails_before_a_workspace_is_made(tmp_path: Path) -> None:
    with pytest.raises(LaunchError) as caught:
        start_run(CARD, RunChoices(machine="not an address", workspaces=tmp_path / "ws"))
    assert caught.value.cause == "machine"
    assert "not a machine address" in caught.value.message and "tcp://HOST:PORT" in str(
        caught.value
    )
    assert not (tmp_path / "ws").exists()


def test_an_unknown_agent_option_value_fails_naming_the_choices(tmp_path: Path) -> None:
    choices = RunChoices(agent_options={"pace": "warp"}, workspaces=tmp_path / "ws")
    with pytest.raises(LaunchError) as caught:
        start_run(CARD, choices)
    assert caught.value.choice == "agent"
    assert "unknown pace 'warp'; use one of realistic, fast, instant" in caught.value.message
    assert not (tmp_path / "ws").exists()


def test_a_card_names_its_agent_and_an_agent_flag_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-launch-test")  # anthropic: the default
    card = tmp_path / "card.yaml"
    card.write_text(CARD.read_text().replace("loop:\n", "loop:\n  agent: scripted\n"))
    chosen = start_run(card, RunChoices(workspace=tmp_path / "a"))
    assert chosen.agent.name == "scripted"
    given = start_run(card, RunChoices(agent="anthropic", workspace=tmp_path / "b"))
    assert given.agent.name == "anthropic"


def test_the_agents_a_card_may_name_are_the_registrys() -> None:
    assert set(get_args(AgentName)) == set(agent_names())


def test_the_naive_experiment_needs_an_agent_that_can_run_it(tmp_path: Path) -> None:
    with pytest.raises(LaunchError) as refused:
        start_run(CARD, RunChoices(agent="scripted", naive=True, workspace=tmp_path / "run"))
    assert refused.value.choice == "naive" and "--agent claude-code" in refused.value.message
    assert not (tmp_path / "run").exists()
