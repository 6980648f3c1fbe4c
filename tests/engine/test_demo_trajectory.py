"""The shipped demo trajectory loads, is written for specs/demo.yaml, and follows the
format: its files exist, its audit tests are unique, its hack step has a `fail` critique."""

from __future__ import annotations

import pytest

from jitskit_tui.agents.registry import make_agent
from jitskit_tui.agents.scripted import demo_trajectory_dir, load_trajectory
from jitskit_tui.agents.scripted.trajectory import CriticFiles
from jitskit_tui.spec import load_spec

from support import SPECS

DEMO = demo_trajectory_dir()


@pytest.mark.skipif(
    not (DEMO / "trajectory.yaml").is_file(), reason="the demo trajectory is not written yet"
)
def test_the_demo_trajectory_loads_for_the_demo_card() -> None:
    trajectory = load_trajectory(DEMO)
    assert trajectory.spec == "demo"
    assert len(trajectory.steps) >= 5
    assert any(step.audit and step.audit.tests for step in trajectory.steps)
    assert any(isinstance(step.critic, CriticFiles) for step in trajectory.steps)
    for step in trajectory.steps:
        for action in step.coder:
            target = action.write or action.edit or action.delete or action.read
            assert target is None or target.startswith("store/"), target
    agent = make_agent("scripted", load_spec(SPECS / "demo.yaml"), {"pace": "instant"})
    assert agent.name == "scripted"
