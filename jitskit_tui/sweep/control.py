"""Sending a control to a whole sweep from another process (`jitskit control DIR pause`,
the sweep dashboard): a file in the sweep's inbox, taken by the live sweep, which sends it
on to each of its live runs and answers in its log."""

from __future__ import annotations

from jitskit_tui.engine.inbox import NotLive, drop_control, watch_log
from jitskit_tui.protocol.controls import Control
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.log import SweepControlled, decode_sweep_lines

SWEEP_CONTROLS = ("pause", "resume", "stop", "abort")


def send_sweep_control(folder: SweepFolder, control: Control) -> int:
    """Drops ``control`` into the sweep's inbox; returns the log's size before it (where
    to look for the answer). Raises :class:`NotLive` when no sweep process runs it."""
    if folder.live() is None:
        raise NotLive(
            f"sweep {folder.name} is not live (no process runs it); "
            f"`jitskit sweep --resume {folder.root}` continues it"
        )
    try:
        offset = folder.events.stat().st_size
    except FileNotFoundError:
        offset = 0
    drop_control(folder.control, control)
    return offset


async def wait_for_sweep_ack(
    folder: SweepFolder, control_id: str, offset: int, timeout_s: float = 10.0
) -> SweepControlled | None:
    """The sweep's answer to ``control_id``, read from its log after byte ``offset``."""

    def find(lines: list[bytes]) -> SweepControlled | None:
        for event in decode_sweep_lines(lines):
            if isinstance(event, SweepControlled) and event.control_id == control_id:
                return event
        return None

    return await watch_log(folder.events, offset, find, timeout_s)
