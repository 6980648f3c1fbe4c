"""The spec's budget caps (tokens, dollars, wall time), watched inside a turn.

The loop checks the caps between iterations; a long coder turn could overrun them by a
lot before that. The meter starts from what the run had spent before this session (read
once from the run's event log), adds every response of this agent, and says when a cap
is reached, so the tool loop can end the turn and let the loop stop cleanly.
"""

from __future__ import annotations

import time
from pathlib import Path

from jitskit_tui.agents.anthropic.stream import TokenCounts
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.spec.model import Budget


class Meter:
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.tokens = 0
        self.dollars = 0.0
        self.seconds_before = 0.0
        self._since: float | None = None
        self._loaded: Path | None = None

    def begin(self, workspace: Path) -> None:
        """Reads what the run spent before this agent's first turn (once per workspace)."""
        if self._loaded == workspace:
            return
        self._loaded = workspace
        self._since = time.monotonic()
        try:
            state = RunState.from_events(read_events(Workspace(workspace).events))
        except (EventLogError, OSError):
            return
        total = state.total_cost
        self.tokens = total.tokens
        self.dollars = total.dollars
        self.seconds_before = state.active_seconds

    def add(self, model: str, tokens: TokenCounts, dollars: float) -> None:
        self.tokens += tokens.input + tokens.output + tokens.cache_read + tokens.cache_write
        self.dollars += dollars

    @property
    def seconds(self) -> float:
        since = time.monotonic() - self._since if self._since is not None else 0.0
        return self.seconds_before + since

    def exhausted(self) -> str | None:
        """Which cap is reached, in words; ``None`` while there is room."""
        caps = self.budget
        if caps.dollars is not None and self.dollars >= caps.dollars:
            return f"the dollar budget is used up (${self.dollars:.2f} of ${caps.dollars:.2f})"
        if caps.tokens is not None and self.tokens >= caps.tokens:
            return f"the token budget is used up ({self.tokens:,} of {caps.tokens:,})"
        if caps.wall_time is not None and self.seconds >= caps.wall_time:
            return f"the wall-time budget is used up ({self.seconds / 60:.0f} min)"
        return None
