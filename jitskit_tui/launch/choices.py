"""What a run is started or resumed with, and how a launch fails."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

LaunchCause = Literal["choice", "machine", "busy"]


class LaunchError(Exception):
    """The run cannot start (with what to do instead)."""

    def __init__(
        self,
        message: str,
        *,
        cause: LaunchCause = "choice",
        choice: str | None = None,
        lines: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.cause: LaunchCause = cause
        """`choice`: something chosen cannot work; `machine`: the benchmark machine
        cannot be used; `busy`: another engine holds the run."""
        self.choice = choice
        """The :class:`RunChoices` field to change, when one is at fault."""
        self.lines = lines
        """Every problem, one a line, when there are several (a card's)."""


@dataclass
class RunChoices:
    """What a run is started (or resumed) with: the command line's flags, the start
    dialog's fields. ``None`` means the card's (or, on resume, the run's) value."""

    agent: str | None = None
    """A backend of :mod:`jitskit_tui.agents.registry`; ``None``: the card's `loop.agent`,
    else the default backend."""
    agent_options: dict[str, str] = field(default_factory=dict)
    """The backend's options by name (the scripted agent's `pace` and `trajectory`)."""
    iterations: int | None = None
    """The total iteration budget."""
    baselines: bool = True
    """Measure the best comparable baseline for the ratio."""
    machine: str | None = None
    """The benchmark machine's address (see :mod:`jitskit_tui.machine_kinds`)."""
    fork_from: int | None = None
    """Resume only: continue from this iteration on a new branch."""
    workspace: Path | None = None
    """A new run's own folder (must not exist, or be empty); ``None``: a new one under
    ``workspaces``."""
    workspaces: Path | None = None
    """Where new runs go; ``None``: `workspaces/` here."""
    seed: int | None = None
    """Seeds the evaluator's kill moment and canary (tests)."""
    naive: bool = False
    """The naive experiment instead of the loop (a new run; a resume keeps the run's)."""
    allow_smaller_machine: bool = False
    """Evaluate even on a machine with fewer CPUs, less memory or no disk where the card
    asks for them, every figure marked; recorded with the run (a resume keeps it)."""
    eval_turns: Path | None = None
    """A folder of evaluation turns the run shares with others (a sweep's): where the
    machine is one host (not a machine per evaluation, as Slurm gives), its evaluations
    wait for their turn, so no two benchmarks run at once."""

    def with_agent(self, name: str | None, given: Mapping[str, str]) -> RunChoices:
        """These choices with agent ``name`` (``None``: the same one) and ``given`` options
        laid over its recorded ones, which are kept only while it stays the same agent."""
        agent = name or self.agent
        kept = self.agent_options if agent == self.agent else {}
        return replace(self, agent=agent, agent_options={**kept, **given})
