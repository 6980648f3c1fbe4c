"""Controls: what a user asks a live run to do, in-process or from another terminal.

Across processes a control is a JSON file dropped atomically (write a temporary file,
then rename) into the run's `.jitskit/control/`; the engine polls that inbox about ten
times a second, handles each file once, deletes it, and logs a `control_received` event
saying what it does about it (or why it refused). `jitskit control` waits for that event
to tell the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from jitskit_tui.engine.eventlog import decode_lines
from jitskit_tui.engine.events import ControlReceived, Delivery
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, live_engine


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(4)


class _Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=new_id)
    source: str = "api"
    """Who sent it: `cli (pid 123)`, `tui`, `api`."""


class Pause(_Control):
    """Pause at the next step or tool boundary (a benchmark in flight is not interrupted)."""

    kind: Literal["pause"] = "pause"


class Resume(_Control):
    kind: Literal["resume"] = "resume"


class Stop(_Control):
    """Stop once the current iteration is committed."""

    kind: Literal["stop"] = "stop"


class Abort(_Control):
    """Cancel the agent turn or evaluation in flight and end the run now."""

    kind: Literal["abort"] = "abort"


STEER_TEXT_MAX = 20_000
"""The longest steering text, in characters (it goes into every later prompt)."""


def steering_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be sent as steering, or ``None`` when it can."""
    if not text.strip():
        return "the steering text is empty"
    if len(text) > STEER_TEXT_MAX:
        return (
            f"the steering text is {len(text):,} characters, over the {STEER_TEXT_MAX:,} "
            "allowed: shorten it, or point the agents at a file instead"
        )
    return None


class Steer(_Control):
    kind: Literal["steer"] = "steer"
    text: str = Field(min_length=1, max_length=STEER_TEXT_MAX)
    at: Delivery = "next-iteration"


class CancelSteer(_Control):
    kind: Literal["cancel-steer"] = "cancel-steer"
    steering_id: str


class EditSteer(_Control):
    """Replace pending steering's text in place, only while it is still pending.

    One control, handled between two engine steps, so an edit can never race the
    steering's delivery: either the agent gets the new text only, or the edit is refused
    with a `steering_edit_refused` event that carries the new text back."""

    kind: Literal["edit-steer"] = "edit-steer"
    steering_id: str
    text: str = Field(min_length=1, max_length=STEER_TEXT_MAX)
    at: Delivery | None = None
    """When it applies from now on; ``None`` keeps when it was to apply."""


class Fork(_Control):
    """Continue from iteration N's commit on a new branch, from the next iteration on."""

    kind: Literal["fork"] = "fork"
    from_iteration: int = Field(ge=0)


class Approve(_Control):
    kind: Literal["approve"] = "approve"
    proposal_id: str


class Reject(_Control):
    kind: Literal["reject"] = "reject"
    proposal_id: str


class AuditNow(_Control):
    """Run the auditor at the end of the current iteration."""

    kind: Literal["audit"] = "audit"


class RunBaselines(_Control):
    """Measure the comparable baselines before the next iteration starts (never during an
    evaluation); the ratio of later iterations, and every ratio a client shows, is then
    against the new best comparable baseline. Works on a run started without baselines."""

    kind: Literal["baselines"] = "baselines"
    refresh: bool = False
    """Measure again even the baselines cached for this spec and machine."""


Control = Annotated[
    Pause
    | Resume
    | Stop
    | Abort
    | Steer
    | CancelSteer
    | EditSteer
    | Fork
    | Approve
    | Reject
    | AuditNow
    | RunBaselines,
    Field(discriminator="kind"),
]
CONTROL_ADAPTER: TypeAdapter[Control] = TypeAdapter(Control)


class NotLive(WorkspaceError):
    """The run has no live engine to take the control."""


def send_control(ws: Workspace, control: Control) -> Path:
    """Drops ``control`` into the run's inbox; raises :class:`NotLive` when no engine runs."""
    if live_engine(ws) is None:
        raise NotLive(
            f"run {ws.name} is not live (no engine holds it); `jitskit resume {ws.ref}` "
            "continues it"
        )
    ws.control.mkdir(parents=True, exist_ok=True)
    data = CONTROL_ADAPTER.dump_json(control)
    tmp = ws.control / f".tmp-{control.id}.json"
    tmp.write_bytes(data)
    final = ws.control / f"{time.time_ns():020d}-{control.id}.json"
    os.replace(tmp, final)
    return final


@dataclass(frozen=True)
class InboxItem:
    path: Path
    control: Control | None
    problem: str = ""


def drain_inbox(ws: Workspace) -> list[InboxItem]:
    """Every control file in the inbox, oldest first, each removed once read."""
    try:
        names = sorted(n for n in os.listdir(ws.control) if n.endswith(".json") and n[0] != ".")
    except FileNotFoundError:
        return []
    items: list[InboxItem] = []
    for name in names:
        path = ws.control / name
        try:
            data = path.read_bytes()
        except OSError:
            continue
        with contextlib.suppress(OSError):
            path.unlink()
        try:
            items.append(InboxItem(path, CONTROL_ADAPTER.validate_json(data)))
        except ValidationError as exc:
            first = exc.errors()[0] if exc.errors() else None
            reason = first["msg"] if first else "not a control"
            items.append(InboxItem(path, None, f"{name}: not a control ({reason})"))
    return items


async def wait_for_ack(
    ws: Workspace, control_id: str, offset: int, timeout_s: float = 5.0
) -> ControlReceived | None:
    """The engine's `control_received` event for ``control_id``, read from the event log
    after byte ``offset``; ``None`` when it does not come within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    pending = b""
    while time.monotonic() < deadline:
        try:
            with ws.events.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except OSError:
            chunk = b""
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for event in decode_lines(lines):
            if isinstance(event, ControlReceived) and event.control_id == control_id:
                return event
        await asyncio.sleep(0.05)
    return None
