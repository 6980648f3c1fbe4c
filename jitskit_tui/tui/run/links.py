"""Where a run's events come from, and where its controls go.

- :class:`LiveLink`: the engine runs in this process (started from the editor, or a run
  resumed here); events arrive from its log's listener, controls go straight to it.
- :class:`AttachedLink`: another process on this machine runs the engine (`jitskit run
  --headless`); events are read as they are appended to its `events.jsonl`, controls are
  dropped into its inbox and answered by a `control_received` event.
- :class:`ReplayLink`: nobody runs it; the log is read once and shown read-only.

A link never raises into the app: a failure becomes a notice and the link ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Literal

from jitskit_tui.engine.eventlog import (
    EventLogError,
    decode_lines,
    follow_events,
    read_events,
)
from jitskit_tui.engine.inbox import NotLive, send_control, wait_for_ack
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, live_engine
from jitskit_tui.protocol.controls import Control
from jitskit_tui.protocol.events import Event, RunFinished

if TYPE_CHECKING:
    from jitskit_tui.engine.loop import Engine

LinkKind = Literal["live", "attached", "replay"]
Push = Callable[[Event], None]
Notice = Callable[[str, Literal["info", "warning", "error"]], None]

ACK_TIMEOUT_S = 5.0
WATCH_S = 1.0
REPLAY_CHUNK = 256 * 1024
REPLAY_AHEAD = 4000
"""Events read ahead of the fold at most, while replaying."""


@dataclass(frozen=True)
class ControlOutcome:
    """What the engine said about a control (or why it never reached one)."""

    accepted: bool
    message: str


class RunLink(ABC):
    kind: LinkKind

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.backlog: Callable[[], int] = lambda: 0
        """Events received and not yet folded (the feed sets it)."""
        self.ended = False
        self.gone = False
        """The workspace disappeared while it was shown."""

    @abstractmethod
    async def feed(self, push: Push, notice: Notice) -> None:
        """Pushes the run's events, past then new, until there are no more to come."""

    @property
    def controllable(self) -> bool:
        return not self.ended and not self.gone

    async def send(self, control: Control) -> ControlOutcome:
        return ControlOutcome(False, self.refusal())

    def refusal(self) -> str:
        if self.gone:
            return f"{self.ws.root} was deleted; nothing can be sent to this run"
        return (
            f"run {self.ws.name} is not live: it is shown from its log, read-only; "
            "resume it to continue (R)"
        )

    def describe(self) -> str:
        return "replay · read-only"

    async def watch_workspace(self, notice: Notice) -> None:
        """Says so (once) when the run's folder is deleted while it is shown."""
        while not self.gone:
            await asyncio.sleep(WATCH_S)
            exists = await asyncio.to_thread(self.ws.events.exists)
            if not exists:
                self.gone = True
                notice(
                    f"{self.ws.root} was deleted while shown: what is on screen stays, "
                    "read-only; diffs and logs are gone with it",
                    "error",
                )


class LiveLink(RunLink):
    """The engine in this process."""

    kind: LinkKind = "live"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine.ws)
        self.engine = engine
        self.finished: RunFinished | None = None
        self._task: asyncio.Task[RunFinished] | None = None

    async def feed(self, push: Push, notice: Notice) -> None:
        try:
            past = await asyncio.to_thread(read_events, self.ws.events)
        except EventLogError:
            past = []
        for event in past:
            push(event)
        del past
        unsubscribe = self.engine.log.subscribe(push)
        watcher = asyncio.create_task(self.watch_workspace(notice))
        self._task = asyncio.create_task(self.engine.run())
        try:
            self.finished = await asyncio.shield(self._task)
        except asyncio.CancelledError:
            # The app is closing: the engine ends the run as aborted and releases the lock.
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            raise
        except Exception as exc:
            notice(f"the engine stopped with an error: {exc!r}", "error")
        finally:
            unsubscribe()
            watcher.cancel()
            self.ended = True

    async def send(self, control: Control) -> ControlOutcome:
        if not self.controllable:
            return ControlOutcome(False, self.refusal())
        event = await self.engine.control(control)
        accepted = bool(getattr(event, "accepted", True))
        return ControlOutcome(accepted, str(getattr(event, "message", "")))

    def refusal(self) -> str:
        if self.ended and not self.gone:
            return f"run {self.ws.name} has ended; resume it to continue (R)"
        return super().refusal()

    def describe(self) -> str:
        return "ended here" if self.ended else "live here"

    async def shut_down(self, timeout_s: float = 20.0) -> None:
        """Ends the run as the app closes: cancels it (an abort) and waits for the log."""
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), timeout_s)


class AttachedLink(RunLink):
    """A run whose engine lives in another process on this machine."""

    kind: LinkKind = "attached"

    def __init__(self, ws: Workspace, poll_s: float = 0.1) -> None:
        super().__init__(ws)
        self.poll_s = poll_s
        self.engine_pid: int | None = None
        self.run_finished = False

    async def feed(self, push: Push, notice: Notice) -> None:
        watcher = asyncio.create_task(self._watch(notice))
        try:
            async for event in follow_events(self.ws.events, poll_s=self.poll_s):
                push(event)
                if isinstance(event, RunFinished):
                    self.run_finished = True
                if self.gone:
                    break
        except EventLogError as exc:
            notice(str(exc), "error")
        except OSError as exc:
            notice(f"{self.ws.events}: reading the run's log failed: {exc}", "error")
        finally:
            watcher.cancel()
            self.ended = True

    async def _watch(self, notice: Notice) -> None:
        watcher = asyncio.create_task(self.watch_workspace(notice))
        try:
            while not self.gone:
                info = await asyncio.to_thread(live_engine, self.ws)
                self.engine_pid = info.pid if info is not None else None
                await asyncio.sleep(WATCH_S)
        finally:
            watcher.cancel()

    @property
    def controllable(self) -> bool:
        return not self.gone and self.engine_pid is not None

    async def send(self, control: Control) -> ControlOutcome:
        if self.gone:
            return ControlOutcome(False, self.refusal())

        def drop() -> int:
            offset = self.ws.events.stat().st_size
            send_control(self.ws, control)
            return offset

        try:
            offset = await asyncio.to_thread(drop)
        except NotLive as exc:
            self.engine_pid = None
            return ControlOutcome(False, str(exc))
        except (OSError, WorkspaceError) as exc:
            return ControlOutcome(False, f"{self.ws.control}: the control could not be sent: {exc}")
        ack = await wait_for_ack(self.ws, control.id, offset, ACK_TIMEOUT_S)
        if ack is None:
            return ControlOutcome(
                False,
                f"the engine of {self.ws.name} did not answer within {ACK_TIMEOUT_S:.0f} s; "
                "it takes controls between steps, so it may still apply it",
            )
        return ControlOutcome(ack.accepted, ack.message)

    def describe(self) -> str:
        if self.gone:
            return "deleted"
        if self.engine_pid is not None:
            return f"attached · pid {self.engine_pid}"
        return "attached · engine exited" if self.run_finished else "attached · no engine"


class ReplayLink(RunLink):
    """A run nobody is running: its log, once, read and decoded in a thread a chunk at a
    time and pushed no faster than the app folds it, so memory does not grow with the
    log's length and the screen stays responsive while a long run loads."""

    kind: LinkKind = "replay"

    async def feed(self, push: Push, notice: Notice) -> None:
        try:
            handle = await asyncio.to_thread(self.ws.events.open, "rb")
        except OSError as exc:
            notice(f"{self.ws.events}: the run's log cannot be read ({exc})", "error")
            self.ended = True
            return
        try:
            await self._stream(handle, push)
        except OSError as exc:
            notice(f"{self.ws.events}: reading the run's log failed: {exc}", "error")
        finally:
            handle.close()
        self.ended = True
        await self.watch_workspace(notice)

    async def _stream(self, handle: BinaryIO, push: Push) -> None:
        pending = b""
        line = 0
        while True:
            chunk = await asyncio.to_thread(handle.read, REPLAY_CHUNK)
            if not chunk:
                # A partial last line is the event a crashed engine was writing: skipped,
                # as the engine's own replay does.
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            events = await asyncio.to_thread(_decode, lines, line + 1)
            line += len(lines)
            for event in events:
                push(event)
            del events
            while self.backlog() > REPLAY_AHEAD:  # noqa: ASYNC110 - the fold is timer-driven
                await asyncio.sleep(0.02)

    @property
    def controllable(self) -> bool:
        return False


def _decode(lines: list[bytes], first_line: int) -> list[Event]:
    return list(decode_lines(lines, first_line))


def link_for(ws: Workspace) -> RunLink:
    """Attached when another process runs it, else a read-only replay."""
    return AttachedLink(ws) if live_engine(ws) is not None else ReplayLink(ws)
