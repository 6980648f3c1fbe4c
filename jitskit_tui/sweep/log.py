"""The sweep's own log, `.sweep/events.jsonl`: its stints, each run it launched or could
not launch, how each ended, and the controls it took. Each run's story is in that run's
own log; this one says what the sweep did, so a resume knows it was interrupted and
`jitskit control` gets its answer.

Appended as the run logs are (:class:`~jitskit_tui.engine.eventlog.LineLog`: one
`write(2)` of one line, a killed writer's partial line cut at the next open); read
forgivingly (a line that does not decode is skipped and counted).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from jitskit_tui.engine.eventlog import LineLog

SweepStatus = Literal["finished", "stopped", "aborted", "failed"]
"""How a sweep's stint ended: every run ended; stopped by the user; aborted; or some run
could not start or failed."""


class _SweepEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    seq: int = 0
    ts: float = 0.0


class SweepStarted(_SweepEvent):
    type: Literal["sweep_started"] = "sweep_started"
    pid: int
    parallel: int
    resumed: bool = False


class RunLaunched(_SweepEvent):
    type: Literal["run_launched"] = "run_launched"
    entry: int
    """Its index in the manifest's entries."""
    workspace: str
    resumed: bool = False


class RunNotLaunched(_SweepEvent):
    """A card's run could not start (or resume): the reason, and what to do."""

    type: Literal["run_not_launched"] = "run_not_launched"
    entry: int
    message: str


class RunEnded(_SweepEvent):
    type: Literal["run_ended"] = "run_ended"
    entry: int
    status: str
    """The run's `run_finished` status: finished, stopped, aborted, failed."""
    reason: str = ""


class SweepControlled(_SweepEvent):
    """A control sent to the whole sweep, and what the sweep did about it."""

    type: Literal["sweep_control"] = "sweep_control"
    control_id: str
    kind: str
    source: str
    accepted: bool
    message: str


class SweepFinished(_SweepEvent):
    type: Literal["sweep_finished"] = "sweep_finished"
    status: SweepStatus
    reason: str


SweepEvent = Annotated[
    SweepStarted | RunLaunched | RunNotLaunched | RunEnded | SweepControlled | SweepFinished,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[SweepEvent] = TypeAdapter(SweepEvent)


class SweepLog:
    """Appends stamped events to the sweep's log; ``listener`` hears each one."""

    def __init__(self, path: Path, listener: Callable[[SweepEvent], None] | None = None) -> None:
        self.path = path
        self.listener = listener
        self._file, existing = LineLog.open(path, "the sweep's log")
        self._seq = max((e.seq for e in decode_sweep_lines(existing.splitlines())), default=0)

    def append(self, event: SweepEvent) -> SweepEvent:
        stamped: SweepEvent = event.model_copy(update={"seq": self._seq + 1, "ts": time.time()})
        self._file.write(stamped.model_dump_json())
        self._seq += 1
        if self.listener is not None:
            with contextlib.suppress(Exception):
                self.listener(stamped)
        return stamped

    def close(self) -> None:
        self._file.close()


def decode_sweep_lines(lines: Iterable[bytes]) -> list[SweepEvent]:
    events = []
    for raw in lines:
        if raw.strip():
            with contextlib.suppress(ValidationError):
                events.append(_ADAPTER.validate_json(raw))
    return events


def read_sweep_events(path: Path) -> list[SweepEvent]:
    """Every complete event in the log (none when there is no log yet)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return decode_sweep_lines(data[: data.rfind(b"\n") + 1].splitlines())


@dataclass
class SweepState:
    """The sweep's story folded from its log."""

    stints: int = 0
    running: bool = False
    """The last stint has not said how it ended (live, or killed)."""
    status: SweepStatus | None = None
    reason: str = ""
    paused: bool = False
    launched: dict[int, int] = field(default_factory=dict)
    """Entry -> times launched."""
    ended: dict[int, RunEnded] = field(default_factory=dict)
    not_launched: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_events(cls, events: Iterable[SweepEvent]) -> SweepState:
        state = cls()
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: SweepEvent) -> None:
        match event:
            case SweepStarted():
                self.stints += 1
                self.running = True
                self.status = None
                self.reason = ""
                self.paused = False
            case RunLaunched():
                self.launched[event.entry] = self.launched.get(event.entry, 0) + 1
                self.ended.pop(event.entry, None)
                self.not_launched.pop(event.entry, None)
            case RunNotLaunched():
                self.not_launched[event.entry] = event.message
            case RunEnded():
                self.ended[event.entry] = event
            case SweepControlled():
                if event.accepted and event.kind in ("pause", "resume"):
                    self.paused = event.kind == "pause"
            case SweepFinished():
                self.running = False
                self.status = event.status
                self.reason = event.reason
                self.paused = False
