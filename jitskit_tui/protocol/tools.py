"""The tools an agent acts through, as the agent sees them: their schemas, a call's
result, and the steering handed over with it.

The engine implements :class:`Tools` (its `ToolBox`, one per role's turn); an agent
backend calls :meth:`Tools.specs` and :meth:`Tools.call`, and never needs to know how a
call reaches the workspace or the evaluator. A backend whose model also has tools of its
own (Claude Code's file tools) shows their calls, and takes steering at their boundaries,
through :meth:`Tools.native_started` and :meth:`Tools.native_finished`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, JsonValue


@dataclass(frozen=True)
class Steering:
    """`next-tool` steering handed over at a tool boundary."""

    id: str
    text: str


class ToolSpec(BaseModel):
    """A tool as a model sees it: name, description, JSON schema of its input."""

    name: str
    description: str
    input_schema: dict[str, JsonValue]


@dataclass
class ToolResult:
    ok: bool
    output: str
    """What the agent reads: the result, or the error."""
    steering: list[Steering] = field(default_factory=list)
    """Steering delivered at this boundary: the agent must act on it from now on."""


class Tools(Protocol):
    """One role's tools for one turn (the coder's or the auditor's).

    A bad call (unknown tool, bad input, a path outside the role's folders) is a failed
    :class:`ToolResult` the agent can read, never an exception; a pause takes effect
    before a call; `next-tool` steering comes back in the result after it."""

    finished: str | None
    """The summary given to the `finish` tool, once called; an agent that must go on
    after it (steering arrived with the result) sets it back to ``None``."""

    def specs(self) -> list[ToolSpec]:
        """The tools this role may call, for a model's tool list."""
        ...

    async def call(
        self, name: str, arguments: Mapping[str, object], call_id: str | None = None
    ) -> ToolResult:
        """Runs one tool call."""
        ...

    async def native_started(
        self, call_id: str, name: str, arguments: Mapping[str, object]
    ) -> None:
        """A call of a tool the agent runs itself (Claude Code's Read or Write, after the
        agent's own containment check) is about to run: waits while the run is paused,
        then shows it."""
        ...

    def native_finished(
        self, call_id: str, name: str, *, ok: bool, output: str = "", error: str = ""
    ) -> list[Steering]:
        """Shows a native call's result (a refused call: ``ok`` false, ``error`` saying
        why); returns the `next-tool` steering handed over at this boundary."""
        ...
