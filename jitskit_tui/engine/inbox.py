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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from jitskit_tui.engine.eventlog import decode_lines
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, live_engine
from jitskit_tui.protocol.controls import CONTROL_ADAPTER, Control
from jitskit_tui.protocol.events import ControlReceived

T = TypeVar("T")


class NotLive(WorkspaceError):
    """The run has no live engine to take the control."""


def send_control(ws: Workspace, control: Control) -> Path:
    """Drops ``control`` into the run's inbox; raises :class:`NotLive` when no engine runs."""
    if live_engine(ws) is None:
        raise NotLive(
            f"run {ws.name} is not live (no engine holds it); `jitskit resume {ws.ref}` "
            "continues it"
        )
    return drop_control(ws.control, control)


def drop_control(inbox: Path, control: Control) -> Path:
    """Drops ``control`` into the inbox folder ``inbox``, atomically."""
    inbox.mkdir(parents=True, exist_ok=True)
    data = CONTROL_ADAPTER.dump_json(control)
    tmp = inbox / f".tmp-{control.id}.json"
    tmp.write_bytes(data)
    final = inbox / f"{time.time_ns():020d}-{control.id}.json"
    os.replace(tmp, final)
    return final


@dataclass(frozen=True)
class InboxItem:
    path: Path
    control: Control | None
    problem: str = ""


def drain_inbox(ws: Workspace) -> list[InboxItem]:
    """Every control file in the run's inbox, oldest first, each removed once read."""
    return drain_controls(ws.control)


def drain_controls(inbox: Path) -> list[InboxItem]:
    """Every control file in the inbox folder ``inbox``, oldest first, each removed once
    read."""
    try:
        names = sorted(n for n in os.listdir(inbox) if n.endswith(".json") and n[0] != ".")
    except FileNotFoundError:
        return []
    items: list[InboxItem] = []
    for name in names:
        path = inbox / name
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

    def find(lines: list[bytes]) -> ControlReceived | None:
        for event in decode_lines(lines):
            if isinstance(event, ControlReceived) and event.control_id == control_id:
                return event
        return None

    return await watch_log(ws.events, offset, find, timeout_s)


async def watch_log(
    path: Path, offset: int, find: Callable[[list[bytes]], T | None], timeout_s: float
) -> T | None:
    """Reads the lines appended to ``path`` after byte ``offset`` as they come, until
    ``find`` finds what it looks for in them (its answer) or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    pending = b""
    while time.monotonic() < deadline:
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except OSError:
            chunk = b""
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        found = find(lines)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    return None
