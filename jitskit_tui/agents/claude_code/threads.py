"""Where each role's Claude Code conversation stood after each iteration.

The planner and the critic keep one conversation along a branch. Each of their turns is
a fresh CLI process that resumes the session their turn for the parent iteration left,
cut at that turn's last entry and forked (`resume_session_at`, `fork_session`): the
conversation continues the branch whatever happened since (a fork, a redone iteration,
a crash mid-turn). The points are kept in the run's private home, so `jitskit resume`
after a kill -9 resumes the sessions too; a missing point (or session file) means the
role starts afresh from the whiteboard, as the `anthropic` backend does.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.protocol.events import Role


@dataclass(frozen=True)
class ThreadPoint:
    session_id: str
    uuid: str
    """The last transcript entry of the turn."""


class Threads:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._points: dict[str, dict[str, dict[str, str]]] = self._load()

    def _load(self) -> dict[str, dict[str, dict[str, str]]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def at(self, role: Role, iteration: int) -> ThreadPoint | None:
        found = self._points.get(role, {}).get(str(iteration))
        if not isinstance(found, dict):
            return None
        session_id, uuid = found.get("session"), found.get("uuid")
        if not isinstance(session_id, str) or not isinstance(uuid, str):
            return None
        return ThreadPoint(session_id, uuid)

    def record(self, role: Role, iteration: int, point: ThreadPoint) -> None:
        self._points.setdefault(role, {})[str(iteration)] = {
            "session": point.session_id,
            "uuid": point.uuid,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self._points, indent=1))
        os.replace(tmp, self.path)
