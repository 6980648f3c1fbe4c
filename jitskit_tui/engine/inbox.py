"""The control inbox: how a control reaches a live run from another terminal.

A control is a JSON file dropped atomically (write a temporary file, then rename) into
the run's `.jitskit/control/`; the engine polls that inbox about ten times a second,
handles each file once, deletes it, and logs a `control_received` event saying what it
does about it (or why it refused). `jitskit control` waits for that event to tell the
user. The control types themselves are in :mod:`jitskit_tui.protocol.controls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from jitskit_tui.engine.eventlog import decode_lines
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, live_engine
from jitskit_tui.protocol.controls import CONTROL_ADAPTER, Control
from jitskit_tui.protocol.events import ControlReceived


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
