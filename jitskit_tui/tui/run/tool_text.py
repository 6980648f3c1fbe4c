"""A tool call as the transcript writes it out: the arguments of a call that started, and
the string fields of one the model is still writing (a *forming* call), as far as they go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from jitskit_tui.protocol.texts import one_line
from jitskit_tui.tui.run.blocks import Block

MAX_TOOL_TEXT = 4000
"""Characters of a tool's input or output kept for its expanded block."""


def tool_input_text(name: str, data: Mapping[str, object]) -> str:
    """A tool call's input: its arguments, long contents cut."""
    lines = []
    for key, value in data.items():
        shown = value if isinstance(value, str) else json.dumps(value)
        if "\n" in shown:
            shown = "\n" + cut_tool_text(shown)
        lines.append(f"{key}: {shown}")
    return "\n".join(lines) or f"{name}()"


def cut_tool_text(text: str) -> str:
    if len(text) <= MAX_TOOL_TEXT:
        return text.rstrip("\n")
    return (
        text[:MAX_TOOL_TEXT].rstrip("\n") + f"\n… ({len(text) - MAX_TOOL_TEXT:,} more characters)"
    )


_PARTIAL_STRING = re.compile(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)(")?')
_CUT_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{0,3}$")


def partial_input(raw: str, *, complete: bool = False) -> dict[str, str]:
    """The string fields of a tool input that is still streaming, as far as they go
    (``{"path": "store/a.cc", "content": "int ma`` -> path and the content so far);
    ``complete``: only the fields whose string has ended."""
    fields: dict[str, str] = {}
    for found in _PARTIAL_STRING.finditer(raw):
        if complete and found.group(3) is None:
            continue
        value = found.group(2)
        if found.end() == len(raw):
            value = _CUT_ESCAPE.sub("", value)  # an escape cut in half at the end
        try:
            fields[found.group(1)] = json.loads(f'"{value}"')
        except ValueError:
            continue
    return fields


def forming_detail(block: Block) -> str:
    """What an expanded forming tool block shows: its input so far, the newest part of a
    long field (the end is what is being written)."""
    fields = partial_input(block.text)
    for key, value in fields.items():
        if len(value) > MAX_TOOL_TEXT:
            earlier = len(value) - MAX_TOOL_TEXT
            fields[key] = f"… ({earlier:,} earlier characters)\n" + value[earlier:]
    return tool_input_text("", fields) if fields else "(no input yet)"


def tool_target(data: Mapping[str, object]) -> str:
    """What a call works on, for its title: a path, a pattern, a summary, an id."""
    for key in ("path", "file_path", "pattern", "summary", "id", "title"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return one_line(_in_run(value), 60)
    return ""


def _in_run(path: str) -> str:
    """An absolute path into a run's `store/` or `audit/` (Claude Code's tools take
    those) from that folder on, so the title keeps the file's name."""
    for folder in ("/store/", "/audit/"):
        if path.startswith("/") and folder in path:
            return path[path.rindex(folder) + 1 :]
    return path
