"""Which Claude Code CLI runs the roles, and whether it is recent enough.

The CLI bundled in the `claude-agent-sdk` wheel is used unless the user names another
(`--claude-cli PATH`, or `claude_code.cli` in the user config). Either is checked once,
before the run starts, by asking it for its version: a missing file, a file that is not
the CLI, or a version older than :data:`MINIMUM_VERSION` is refused with the fix.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.protocol.agent import AgentUnavailable

MINIMUM_VERSION = (2, 1, 248)
"""The first CLI that delivers a prompt verbatim (`client_composed`): the spec, records
and whiteboard we send must not have `@path` mentions expanded into local files."""
VERSION_TIMEOUT_S = 60.0
INSTALL_HINT = (
    "install the SDK with its bundled CLI (`make setup`, or `pip install 'jitskit-tui[claude]'`), "
    "or name a Claude Code CLI with --claude-cli PATH or claude_code.cli in "
    "~/.config/jitskit/config.toml"
)


@dataclass(frozen=True)
class ClaudeCli:
    path: Path
    version: tuple[int, int, int]
    bundled: bool

    @property
    def version_text(self) -> str:
        return ".".join(str(p) for p in self.version)

    def label(self) -> str:
        return f"Claude Code {self.version_text}" + (" (bundled)" if self.bundled else "")


def bundled_cli() -> Path | None:
    """The CLI shipped inside the `claude-agent-sdk` wheel, when that is installed."""
    try:
        import claude_agent_sdk
    except ImportError:
        return None
    path = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
    return path if path.is_file() else None


def find_cli(named: Path | None) -> ClaudeCli:
    """The CLI to run (``named``, else the bundled one), checked; raises
    :class:`AgentUnavailable` with the fix when it cannot be used."""
    if named is None:
        bundled = bundled_cli()
        if bundled is None:
            raise AgentUnavailable(
                "the Claude Code backend needs the claude-agent-sdk package, which is not "
                f"installed; {INSTALL_HINT}"
            )
        return _checked(bundled.resolve(), bundled=True)
    path = named.expanduser()
    if not path.is_file():
        raise AgentUnavailable(f"no Claude Code CLI at {path}; {INSTALL_HINT}")
    return _checked(path.resolve(), bundled=False)


@functools.cache
def _checked(path: Path, *, bundled: bool) -> ClaudeCli:
    if not os.access(path, os.X_OK):
        raise AgentUnavailable(f"{path} is not executable; `chmod +x` it, or {INSTALL_HINT}")
    try:
        done = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            # Nothing of the user's environment: the version must not depend on it, and
            # the CLI must not touch the user's config or reach the network.
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "DISABLE_AUTOUPDATER": "1"},
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise AgentUnavailable(
            f"{path} --version did not answer in {VERSION_TIMEOUT_S:.0f} s; {INSTALL_HINT}"
        ) from None
    except OSError as exc:
        raise AgentUnavailable(f"cannot run {path}: {exc.strerror}; {INSTALL_HINT}") from None
    version = parse_version(done.stdout)
    if done.returncode != 0 or version is None:
        said = " ".join((done.stdout + done.stderr).split())[:200] or f"exit {done.returncode}"
        raise AgentUnavailable(
            f"{path} does not look like the Claude Code CLI (`--version` said: {said}); "
            f"{INSTALL_HINT}"
        )
    if version < MINIMUM_VERSION:
        have = ".".join(map(str, version))
        need = ".".join(map(str, MINIMUM_VERSION))
        raise AgentUnavailable(
            f"{path} is Claude Code {have}, older than {need}, the oldest this backend "
            f"drives; update it (`claude update`), or {INSTALL_HINT}"
        )
    return ClaudeCli(path=path, version=version, bundled=bundled)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`2.1.337 (Claude Code)` -> (2, 1, 337)."""
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    if found is None:
        return None
    major, minor, patch = (int(g) for g in found.groups())
    return (major, minor, patch)
