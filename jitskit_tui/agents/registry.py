"""The agent backends, by name: the one registry of who can play the loop's roles.

Each backend is a package under `jitskit_tui/agents/` that implements the agent contract
(:mod:`jitskit_tui.protocol.agent`) and exposes ``make_agent(spec, options) -> Agent``
(raising :class:`~jitskit_tui.protocol.agent.AgentUnavailable` with what to do instead)
and, optionally, a cheap ``unavailable() -> str | None`` (why it cannot run here). It is
imported only when asked for, so the offline demo never loads a model SDK. Adding a
backend is that package and one entry here: the command line's `--agent` and option
flags, the start dialog and the launcher all read this table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jitskit_tui.agents.scripted.pace import PACES
from jitskit_tui.config import api_key_configured
from jitskit_tui.protocol.agent import Agent, AgentUnavailable
from jitskit_tui.spec.model import SpecCard


@dataclass(frozen=True)
class AgentOption:
    """One setting of a backend, recorded with the run so a resume makes the same agent.
    It is the command line's `--NAME` flag and a row of the start dialog."""

    name: str
    label: str
    """The start dialog's row label."""
    help: str
    """The flag's help."""
    choices: tuple[str, ...] = ()
    """The values it may take; empty: a free value."""
    default: str | None = None
    """Recorded when it is not given (a choice's default)."""
    path: Literal["", "folder", "file"] = ""
    """It names a folder or file (recorded resolved; the dialog checks it exists)."""
    empty: str = ""
    """What leaving a free value empty means (the dialog's placeholder)."""


@dataclass(frozen=True)
class AgentBackend:
    name: str
    label: str
    """How the start dialog offers it."""
    about: str
    """One line for `--agent`'s help."""
    module: str
    """The package with ``make_agent(spec, options)`` (and ``unavailable()``)."""
    options: tuple[AgentOption, ...] = ()
    default_when: Callable[[], bool] | None = None
    """When it is the default agent (no `--agent` given); the first that says so wins,
    else the first backend."""
    runs_naive: bool = False
    """Its agent runs the naive experiment (``Agent.runs_naive``): the start dialog offers
    it without importing the backend."""


AGENT_BACKENDS: tuple[AgentBackend, ...] = (
    AgentBackend(
        "scripted",
        "scripted",
        "replays a scripted trajectory through the real tools, offline",
        "jitskit_tui.agents.scripted",
        options=(
            AgentOption(
                "pace",
                "Pace",
                "The scripted agent's speed (default realistic; instant for tests).",
                choices=PACES,
                default="realistic",
            ),
            AgentOption(
                "trajectory",
                "Trajectory",
                "A scripted trajectory folder (default: the shipped demo).",
                path="folder",
                empty="the shipped demo",
            ),
        ),
    ),
    AgentBackend(
        "anthropic",
        "anthropic",
        "the Messages API; the default when an API key is configured",
        "jitskit_tui.agents.anthropic",
        default_when=api_key_configured,
    ),
    AgentBackend(
        "claude-code",
        "Claude Code",
        "the Claude Code CLI through the Claude Agent SDK, jailed with bubblewrap",
        "jitskit_tui.agents.claude_code",
        runs_naive=True,
        options=(
            AgentOption(
                "claude_cli",
                "Claude CLI",
                "The Claude Code CLI to run (default: claude_code.cli in the user config, "
                "else the one bundled with claude-agent-sdk).",
                path="file",
                empty="the bundled CLI",
            ),
        ),
    ),
)


def agent_names() -> tuple[str, ...]:
    return tuple(b.name for b in AGENT_BACKENDS)


def backend_named(name: str) -> AgentBackend:
    found = next((b for b in AGENT_BACKENDS if b.name == name), None)
    if found is None:
        raise AgentUnavailable(f"unknown agent {name!r}; use one of {', '.join(agent_names())}")
    return found


def default_agent_name() -> str:
    """The first backend whose ``default_when`` holds (anthropic with a key), else the
    first one (the offline scripted agent)."""
    chosen = next((b for b in AGENT_BACKENDS if b.default_when and b.default_when()), None)
    return (chosen or AGENT_BACKENDS[0]).name


def all_options() -> dict[str, AgentOption]:
    """Every backend's options by name (one flag each on the command line)."""
    return {o.name: o for b in AGENT_BACKENDS for o in b.options}


def agent_options(name: str, given: Mapping[str, str]) -> dict[str, str]:
    """The options to make (and record) agent ``name`` with: ``given`` for its own options
    (others are dropped), checked, paths resolved, defaults filled in."""
    chosen: dict[str, str] = {}
    for option in backend_named(name).options:
        value = given.get(option.name, option.default)
        if value is None:
            continue
        if option.choices and value not in option.choices:
            raise AgentUnavailable(
                f"unknown {option.name} {value!r}; use one of {', '.join(option.choices)}"
            )
        chosen[option.name] = str(Path(value).expanduser().resolve()) if option.path else value
    return chosen


def recorded_options(name: str, recorded: Mapping[str, str]) -> dict[str, str]:
    """The options a run recorded for agent ``name`` that it still takes (a value no
    longer offered falls back to the default)."""
    backend = backend_named(name)
    return {
        o.name: recorded[o.name]
        for o in backend.options
        if o.name in recorded and (not o.choices or recorded[o.name] in o.choices)
    }


def unavailable(name: str) -> str | None:
    """Why agent ``name`` cannot run here (no key, missing tool), or ``None``."""
    check = getattr(_module(backend_named(name)), "unavailable", None)
    return check() if callable(check) else None


def make_agent(name: str, spec: SpecCard, options: Mapping[str, str] | None = None) -> Agent:
    """The agent called ``name`` for a run of ``spec``, made with ``options`` (see
    :func:`agent_options`); raises :class:`AgentUnavailable` saying what to do instead."""
    backend = backend_named(name)
    chosen = agent_options(name, options or {})
    factory = getattr(_module(backend), "make_agent", None)
    if not callable(factory):
        raise AgentUnavailable(f"{backend.module} has no make_agent(spec, options)")
    agent = factory(spec, chosen)
    if not isinstance(agent, Agent):
        raise AgentUnavailable(f"{backend.module}.make_agent() did not return an Agent")
    return agent


def _module(backend: AgentBackend) -> object:
    try:
        return importlib.import_module(backend.module)
    except ImportError as exc:
        raise AgentUnavailable(
            f"the {backend.name} agent cannot be loaded here ({exc}); use --agent scripted"
        ) from None
