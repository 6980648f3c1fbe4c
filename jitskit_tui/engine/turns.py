"""One agent turn as the loop runs it: its start and finish events, and an agent's error
kept as the iteration's outcome instead of ending the run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.protocol.agent import AgentFatalError
from jitskit_tui.protocol.events import AgentTurnFinished, AgentTurnStarted, ErrorRaised, Role
from jitskit_tui.sandbox.base import MachineError

T = TypeVar("T")


@dataclass(frozen=True)
class Turn(Generic[T]):
    """How an agent turn ended: its value, or ``None`` and the error."""

    value: T | None
    error: str


async def take_turn(
    run: RunContext,
    agent: str,
    role: Role,
    iteration: int,
    work: Awaitable[T],
    describe: Callable[[T], tuple[str, str]],
) -> Turn[T]:
    """Runs ``agent``'s turn as ``role``; returns its value, or ``None`` and the error (an
    agent error is an outcome, not a crash). ``describe`` gives the finished turn's
    output and one-line title for the log."""
    run.emit(AgentTurnStarted(iteration=iteration, role=role, agent=agent))
    try:
        value = await work
    except (asyncio.CancelledError, AgentFatalError, MachineError):
        run.emit(AgentTurnFinished(iteration=iteration, role=role, ok=False, error="cancelled"))
        raise
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        run.emit(AgentTurnFinished(iteration=iteration, role=role, ok=False, error=message))
        run.emit(
            ErrorRaised(
                iteration=iteration,
                where=f"iteration {iteration}: {role}",
                message=f"the {role} failed: {message}",
                next_step="recorded as this iteration's outcome; the loop goes on",
            )
        )
        return Turn(None, message)
    output, title = describe(value)
    run.emit(AgentTurnFinished(iteration=iteration, role=role, ok=True, output=output, title=title))
    return Turn(value, "")
