"""The offline scripted agent, for live demos and tests (see trajectories/FORMAT.md)."""

from collections.abc import Mapping
from pathlib import Path

from jitskit_tui.agents.scripted.agent import ScriptedAgent
from jitskit_tui.agents.scripted.pace import PACES, Pace, PaceName, pace_named
from jitskit_tui.agents.scripted.trajectory import (
    Trajectory,
    TrajectoryError,
    demo_trajectory_dir,
    load_trajectory,
)
from jitskit_tui.protocol.agent import AgentUnavailable
from jitskit_tui.spec.model import SpecCard

__all__ = [
    "PACES",
    "Pace",
    "PaceName",
    "ScriptedAgent",
    "Trajectory",
    "TrajectoryError",
    "demo_trajectory_dir",
    "load_trajectory",
    "make_agent",
    "pace_named",
]


def make_agent(spec: SpecCard, options: Mapping[str, str]) -> ScriptedAgent:
    """The scripted agent at ``options["pace"]`` replaying ``options["trajectory"]`` (a
    folder; default the shipped demo), for the registry."""
    pace = next((p for p in PACES if p == options.get("pace", "realistic")), None)
    if pace is None:
        raise AgentUnavailable(f"unknown pace {options['pace']!r}; use one of {', '.join(PACES)}")
    folder = options.get("trajectory")
    try:
        loaded = load_trajectory(Path(folder) if folder else demo_trajectory_dir())
    except TrajectoryError as exc:
        raise AgentUnavailable(str(exc)) from None
    return ScriptedAgent(loaded, pace_named(pace))
