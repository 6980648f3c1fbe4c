"""The app's feed of one run (live here, attached to another process, or replayed): its
link, the events waiting to be folded, and the fold.

Events are queued as they arrive (a deque append: the engine's listener and the log
follower never wait for the screen) and folded in batches by :meth:`RunFeed.drain`,
which the app calls a few dozen times a second with a time budget. A burst is spread over
several frames instead of freezing one; the queue's length is the backlog.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import Event
from jitskit_tui.tui.run.links import RunLink
from jitskit_tui.tui.run.model import RunView

DRAIN_BUDGET_S = 0.012
DRAIN_MAX_EVENTS = 5000


class RunFeed:
    """One run as this app receives it: the link it comes through and what it folds into."""

    def __init__(self, link: RunLink) -> None:
        self.link = link
        self.view = RunView()
        self._queue: deque[Event] = deque()
        self.on_arrival: Callable[[], None] | None = None
        self.received = 0
        self.max_backlog = 0
        link.backlog = lambda: len(self._queue)

    @property
    def ws(self) -> Workspace:
        return self.link.ws

    @property
    def name(self) -> str:
        return self.link.ws.name

    @property
    def backlog(self) -> int:
        return len(self._queue)

    def push(self, event: Event) -> None:
        self._queue.append(event)
        self.received += 1
        if self.on_arrival is not None:
            self.on_arrival()

    def notice(self, text: str, severity: Literal["info", "warning", "error"] = "info") -> None:
        """A message from the link (folded in order with the events)."""
        self.view.notice(text, severity)
        if self.on_arrival is not None:
            self.on_arrival()

    def drain(self, budget_s: float = DRAIN_BUDGET_S, max_events: int = DRAIN_MAX_EVENTS) -> int:
        """Folds queued events until the queue is empty, ``max_events`` are done or
        ``budget_s`` has passed; returns how many were folded."""
        self.max_backlog = max(self.max_backlog, len(self._queue))
        queue, apply = self._queue, self.view.apply
        deadline = time.perf_counter() + budget_s
        done = 0
        while queue and done < max_events:
            apply(queue.popleft())
            done += 1
            if done % 64 == 0 and time.perf_counter() > deadline:
                break
        return done
