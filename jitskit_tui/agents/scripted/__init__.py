"""The offline scripted agent, for live demos and tests (see trajectories/FORMAT.md)."""

from jitskit_tui.agents.scripted.agent import ScriptedAgent
from jitskit_tui.agents.scripted.pace import PACES, Pace, PaceName, pace_named
from jitskit_tui.agents.scripted.trajectory import (
    Trajectory,
    TrajectoryError,
    demo_trajectory_dir,
    load_trajectory,
)

__all__ = [
    "PACES",
    "Pace",
    "PaceName",
    "ScriptedAgent",
    "Trajectory",
    "TrajectoryError",
    "demo_trajectory_dir",
    "load_trajectory",
    "pace_named",
]
