"""Agents that play the loop's roles: the offline scripted agent, and model agents.

`make_agent` is what the CLI and the TUI call. A model agent lives in its own module and
is imported only when asked for, so the offline demo never needs the SDK or a network.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

from jitskit_tui.protocol.agent import Agent
from jitskit_tui.spec.model import SpecCard

AgentName = Literal["scripted", "anthropic"]
AGENT_NAMES: tuple[AgentName, ...] = ("scripted", "anthropic")


class AgentUnavailable(Exception):
    """The agent asked for cannot be made here (with what to do instead)."""


def default_agent_name() -> AgentName:
    """`anthropic` when an API key is configured, else the offline `scripted` agent."""
    from jitskit_tui.config import api_key_configured

    return "anthropic" if api_key_configured() else "scripted"


def make_agent(
    name: AgentName,
    spec: SpecCard,
    *,
    pace: str = "realistic",
    trajectory: Path | None = None,
) -> Agent:
    """The agent called ``name`` for a run of ``spec``.

    ``pace`` and ``trajectory`` are the scripted agent's (a trajectory folder; default the
    shipped demo). The anthropic agent comes from `jitskit_tui.agents.anthropic`, which
    provides ``make_anthropic_agent(spec) -> Agent``.
    """
    if name == "scripted":
        from jitskit_tui.agents.scripted import (
            PACES,
            ScriptedAgent,
            TrajectoryError,
            demo_trajectory_dir,
            load_trajectory,
            pace_named,
        )

        chosen = next((p for p in PACES if p == pace), None)
        if chosen is None:
            raise AgentUnavailable(f"unknown pace {pace!r}; use one of {', '.join(PACES)}")
        try:
            loaded = load_trajectory(trajectory or demo_trajectory_dir())
        except TrajectoryError as exc:
            raise AgentUnavailable(str(exc)) from None
        return ScriptedAgent(loaded, pace_named(chosen))
    if name == "anthropic":
        try:
            module = importlib.import_module("jitskit_tui.agents.anthropic")
        except ImportError:
            raise AgentUnavailable(
                "the anthropic agent is not part of this build yet; use --agent scripted"
            ) from None
        factory = getattr(module, "make_anthropic_agent", None)
        if factory is None:
            raise AgentUnavailable("jitskit_tui.agents.anthropic has no make_anthropic_agent()")
        agent = factory(spec)
        if not isinstance(agent, Agent):
            raise AgentUnavailable("make_anthropic_agent() did not return an Agent")
        return agent
    raise AgentUnavailable(f"unknown agent {name!r}; use one of {', '.join(AGENT_NAMES)}")
