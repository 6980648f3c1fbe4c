"""The run's one budget authority: its iteration budget and the spec's caps (tokens,
dollars, wall time), checked by the loop between iterations and by every agent backend
before each model request (through its sink's `budget`).

It reads the run's folded state, so it counts what earlier stints spent (the state is
folded from the whole log) and every `cost_update` a sink reports this stint, the moment
it is logged. There is one wording of the messages, this one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from jitskit_tui.engine.state import RunState
from jitskit_tui.spec.model import Budget


class BudgetAuthority:
    """Implements :class:`~jitskit_tui.protocol.agent.BudgetGauge` for one run."""

    def __init__(
        self,
        caps: Budget,
        state: RunState,
        iterations: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.caps = caps
        self.state = state
        self.iterations = iterations
        """The run's iteration budget (all branches)."""
        self._clock = clock

    def exhausted(self) -> str | None:
        """Which cap (dollars, tokens, wall time) is reached, in words; ``None`` while
        there is room. The live stint's time counts up to now."""
        caps = self.caps
        cost = self.state.total_cost
        if caps.dollars is not None and cost.dollars >= caps.dollars:
            return f"dollar budget used up (${cost.dollars:.2f} of ${caps.dollars:.2f})"
        if caps.tokens is not None and cost.tokens >= caps.tokens:
            return f"token budget used up ({cost.tokens:,} of {caps.tokens:,})"
        seconds = self.state.active_seconds_at(self._clock())
        if caps.wall_time is not None and seconds >= caps.wall_time:
            return f"wall-time budget used up ({seconds / 60:.0f} min)"
        return None

    def reason_to_stop(self) -> str | None:
        """Why the loop must not start another iteration (the iterations are used up, or
        a cap is reached); ``None`` when it may."""
        done = self.state.completed
        if done >= self.iterations:
            return f"budget used up ({done} of {self.iterations} iterations)"
        return self.exhausted()
