"""The first layer of containment: which tool calls a role's Claude Code may make.

Every call passes a `PreToolUse` hook that asks :func:`decide`. Claude Code's own file
tools are allowed only on paths under the role's folders (the coder reads and writes
`store/`; the auditor reads `store/` and `audit/` and writes only `audit/`); symbolic
links are followed before the check, and a glob may not climb out with `..`. The jitskit
tools (`mcp__jitskit__*`) are allowed: they check their own input. Everything else (Bash,
the web tools, sub-agents, other MCP servers) is refused. A refusal's reason is what the
model reads as the tool's error, and what the transcript shows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MCP_SERVER = "jitskit"
MCP_PREFIX = f"mcp__{MCP_SERVER}__"
FILE_TOOLS = ("Read", "Write", "Edit", "Glob", "Grep")
"""Claude Code's built-in tools a role with files gets (the CLI offers no others)."""
_WRITES = {"Write", "Edit"}


@dataclass(frozen=True)
class Folders:
    """A role's view of the workspace, as absolute paths."""

    cwd: Path
    readable: tuple[Path, ...]
    writable: tuple[Path, ...]

    def names(self, paths: tuple[Path, ...]) -> str:
        return " or ".join(f"{p}/" for p in paths) or "nothing"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOW = Decision(True)


def decide(tool: str, arguments: Mapping[str, object], folders: Folders) -> Decision:
    """Whether a call may run; when not, why (in words for the model)."""
    if tool.startswith(MCP_PREFIX):
        return ALLOW
    if tool not in FILE_TOOLS or not folders.readable:
        return Decision(
            False,
            f"{tool} is not available in jitskit: no shell, no web, no sub-agents; "
            "use your file tools on your folders and the jitskit tools (mcp__jitskit__*)",
        )
    write = tool in _WRITES
    if tool in ("Glob", "Grep"):
        for key in ("pattern", "glob") if tool == "Glob" else ("glob",):
            pattern = arguments.get(key)
            if isinstance(pattern, str) and (pattern.startswith("/") or ".." in pattern):
                return Decision(
                    False,
                    f"{tool} {key} {pattern!r} may not be absolute or contain `..`; give "
                    f"path as a folder under {folders.names(folders.readable)}",
                )
        raw = arguments.get("path") or str(folders.cwd)
    else:
        raw = arguments.get("file_path")
    if not isinstance(raw, str) or not raw.strip():
        return Decision(False, f"{tool} needs a file_path (an absolute path)")
    return _check_path(tool, raw, write, folders)


def _check_path(tool: str, raw: str, write: bool, folders: Folders) -> Decision:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = folders.cwd / path
    real = Path(os.path.realpath(path))
    roots = folders.writable if write else folders.readable
    for root in roots:
        top = Path(os.path.realpath(root))
        if real == top or top in real.parents:
            return ALLOW
    verb = "write" if write else "read"
    where = folders.names(roots)
    moved = f" (it resolves to {real})" if real != Path(os.path.normpath(path)) else ""
    return Decision(
        False,
        f"{raw} is outside {where}{moved}; in jitskit this role may {verb} only under {where}",
    )
