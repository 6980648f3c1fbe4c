"""The jitskit tools as an in-process MCP server of the SDK (`mcp__jitskit__<name>`).

They are the toolbox's own tools, called through :meth:`Tools.call` exactly as the
`anthropic` backend calls them (same checks, same events, same evaluator), except the
file tools Claude Code has itself (list, read, write, edit). `next-tool` steering handed
over with a result is appended to it; steering that arrives with `finish` cancels the
finish, so the model hears it before its turn may end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from claude_agent_sdk import SdkMcpTool, ToolAnnotations, create_sdk_mcp_server
from claude_agent_sdk.types import McpSdkServerConfig

from jitskit_tui.agents.anthropic.context import clip, tool_steering_text
from jitskit_tui.agents.anthropic.toolloop import RESULT_CHARS, STEERED_AFTER_FINISH
from jitskit_tui.agents.claude_code.gate import ToolGate
from jitskit_tui.agents.claude_code.policy import MCP_SERVER
from jitskit_tui.protocol.tools import Tools

CLAUDE_CODE_HAS = frozenset({"list_files", "read_file", "write_file", "edit_file"})
"""Toolbox tools left out: Claude Code's Glob, Read, Write and Edit do their work."""

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def jitskit_server(tools: Tools, gate: ToolGate) -> McpSdkServerConfig:
    served = [
        SdkMcpTool(
            name=spec.name,
            description=spec.description,
            input_schema=dict(spec.input_schema),
            handler=_handler(tools, gate, spec.name),
            # Inline up to our own limit: a result Claude Code saved to a file instead
            # would lie outside the folders the role may read.
            annotations=ToolAnnotations(maxResultSizeChars=RESULT_CHARS),
        )
        for spec in tools.specs()
        if spec.name not in CLAUDE_CODE_HAS
    ]
    return create_sdk_mcp_server(MCP_SERVER, tools=served)


def _handler(tools: Tools, gate: ToolGate, name: str) -> Handler:
    async def handle(arguments: dict[str, Any]) -> dict[str, Any]:
        result = await tools.call(name, arguments, gate.take_call_id(name))
        parts = [clip(result.output, RESULT_CHARS) or "(no output)"]
        parts += [tool_steering_text(s.id, s.text) for s in result.steering]
        if result.steering and tools.finished is not None:
            tools.finished = None  # it must hear the steering before it may finish
            parts.append(STEERED_AFTER_FINISH)
        return {
            "content": [{"type": "text", "text": "\n\n".join(parts)}],
            "is_error": not result.ok,
        }

    return handle
