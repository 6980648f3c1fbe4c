"""The private home a run's Claude Code processes get, outside the workspace.

Claude Code writes its config (`.claude.json`), its session transcripts and backups
under its config directory; for a run they go to
``$XDG_STATE_HOME/jitskit/claude-code/<workspace name>-<hash of its path>/`` (default
`~/.local/state`), never into the workspace, its git history or the user's own
`~/.claude`. The same workspace finds the same home again, so `jitskit resume` can resume
the roles' sessions after a crash. Only `home/` is visible inside the jail.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


def state_root() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "jitskit" / "claude-code"


@dataclass(frozen=True)
class PrivateHome:
    root: Path

    @classmethod
    def for_workspace(cls, workspace: Path) -> PrivateHome:
        real = workspace.resolve()
        digest = hashlib.sha256(str(real).encode()).hexdigest()[:12]
        return cls(state_root() / f"{real.name}-{digest}")

    @property
    def home(self) -> Path:
        """`HOME` inside the jail (writable there)."""
        return self.root / "home"

    @property
    def config(self) -> Path:
        """`CLAUDE_CONFIG_DIR`: the CLI's config, sessions and (visible read-only) login."""
        return self.home / ".claude"

    @property
    def scratch(self) -> Path:
        """The working directory of the roles that touch no files (planner, critic)."""
        return self.home / "scratch"

    @property
    def launchers(self) -> Path:
        """The jail launchers (outside the jail's view)."""
        return self.root / "launch"

    @property
    def threads(self) -> Path:
        """Which session each role's turn left (see :mod:`.threads`)."""
        return self.root / "threads.json"

    def ensure(self) -> None:
        for folder in (self.root, self.home, self.config, self.scratch, self.launchers):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
