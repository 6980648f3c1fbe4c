"""The hooks every tool call of a role's Claude Code passes: containment, the transcript,
pause, budget and steering at the tool boundary.

- `PreToolUse` (every tool): the budget is checked (a reached cap refuses the call and
  ends the turn); :func:`~.policy.decide` allows or refuses the call; a call of Claude
  Code's own tools is shown (a `tool_call_started`, after waiting out a pause), a refusal
  is shown as a failed call whose error is the reason the model reads.
- `PostToolUse` / `PostToolUseFailure`: the result is shown, and `next-tool` steering
  handed over at this boundary goes to the live session as the hook's added context,
  which the model reads with the tool's result in its next request. The jitskit tools
  show themselves (through the toolbox) and carry steering in their result; a `finish`
  ends the turn there, without another request.
- A call the CLI refused before any hook (a tool it does not offer, input that failed
  the schema) is shown from the message stream by :meth:`ToolGate.settle`.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from claude_agent_sdk import HookMatcher, ToolResultBlock, UserMessage

from jitskit_tui.agents.anthropic.context import clip, tool_steering_text
from jitskit_tui.agents.claude_code.policy import MCP_PREFIX, Folders, decide
from jitskit_tui.agents.claude_code.relay import display_name
from jitskit_tui.protocol.agent import AgentSink
from jitskit_tui.protocol.events import Role
from jitskit_tui.protocol.tools import Steering, Tools

HOOK_TIMEOUT_S = 7 * 24 * 3600.0
"""A hook waits while the run is paused, which may be for days."""
SHOWN_CHARS = 20_000
_ALLOW = {"hookEventName": "PreToolUse", "permissionDecision": "allow"}

Hook = Callable[[Any, str | None, Any], Any]


class ToolGate:
    def __init__(
        self,
        role: Role,
        tools: Tools | None,
        folders: Folders,
        sink: AgentSink,
    ) -> None:
        self.role: Role = role
        self.tools = tools
        self.folders = folders
        self.sink = sink
        self.stopped = ""
        """Why the turn was ended from a hook (a budget cap), when it was."""
        self._open: dict[str, str] = {}
        """Calls shown as started and not yet as finished (id -> name)."""
        self._settled: set[str] = set()
        self._waiting: dict[str, deque[str]] = {}
        """Ids of jitskit-tool calls allowed and not yet taken by their handler."""

    def hooks(self) -> dict[Any, list[HookMatcher]]:
        def matcher(hook: Hook) -> list[HookMatcher]:
            return [HookMatcher(matcher=None, hooks=[hook], timeout=HOOK_TIMEOUT_S)]

        return {
            "PreToolUse": matcher(self._pre),
            "PostToolUse": matcher(self._post),
            "PostToolUseFailure": matcher(self._failed),
        }

    # -- the jitskit tools' handlers ---------------------------------------------------

    def take_call_id(self, name: str) -> str:
        """The id of the call a jitskit tool's handler is running (its hook saw it)."""
        waiting = self._waiting.get(name)
        call_id = waiting.popleft() if waiting else "tool-" + secrets.token_hex(4)
        self._settled.add(call_id)
        return call_id

    # -- hooks ---------------------------------------------------------------------------

    async def _pre(self, data: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        name = str(data.get("tool_name", ""))
        call_id = tool_use_id or str(data.get("tool_use_id") or "tool-" + secrets.token_hex(4))
        arguments = data.get("tool_input") or {}
        over = self.sink.budget.exhausted()
        if over is not None:
            self.stopped = over
            reason = f"the run's budget is used up ({over}); stop here"
            context_text = await self._refuse(call_id, name, arguments, reason)
            return _deny(reason, context_text, stop=over)
        decision = decide(name, arguments, self.folders)
        if not decision.allowed:
            context_text = await self._refuse(call_id, name, arguments, decision.reason)
            return _deny(decision.reason, context_text)
        if name.startswith(MCP_PREFIX):
            self._waiting.setdefault(display_name(name), deque()).append(call_id)
        elif self.tools is not None:
            await self.tools.native_started(call_id, name, arguments)
            self._open[call_id] = name
        return {
            "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}
        }

    async def _post(self, data: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        name = str(data.get("tool_name", ""))
        call_id = tool_use_id or str(data.get("tool_use_id") or "")
        if name.startswith(MCP_PREFIX):
            self._forget_waiting(display_name(name), call_id)
            if self.tools is not None and self.tools.finished is not None:
                # `finish`, or the naive experiment's last benchmark run: the turn ends here.
                return {"continue_": False, "stopReason": self.tools.finished}
            return {}
        shown = native_output(data.get("tool_response"))
        steering = self._finish(call_id, name, ok=True, output=shown)
        return _added_context("PostToolUse", steering)

    async def _failed(self, data: Any, tool_use_id: str | None, context: Any) -> dict[str, Any]:
        name = str(data.get("tool_name", ""))
        call_id = tool_use_id or str(data.get("tool_use_id") or "")
        if name.startswith(MCP_PREFIX):
            self._forget_waiting(display_name(name), call_id)
        steering = self._finish(call_id, name, ok=False, error=str(data.get("error") or ""))
        return _added_context("PostToolUseFailure", steering)

    # -- showing calls -------------------------------------------------------------------

    async def _refuse(self, call_id: str, name: str, arguments: dict[str, Any], reason: str) -> str:
        self._settled.add(call_id)
        if self.tools is None:
            self.sink.notice(f"the {self.role}'s {name} call was refused: {reason}")
            return ""
        await self.tools.native_started(call_id, display_name(name), arguments)
        steering = self.tools.native_finished(
            call_id, display_name(name), ok=False, error=f"refused: {reason}"
        )
        return _steering_text(steering)

    def _finish(
        self, call_id: str, name: str, *, ok: bool, output: str = "", error: str = ""
    ) -> list[Steering]:
        self._settled.add(call_id)
        if self.tools is None or self._open.pop(call_id, None) is None:
            return []
        return self.tools.native_finished(call_id, name, ok=ok, output=output, error=error)

    def _forget_waiting(self, name: str, call_id: str) -> None:
        waiting = self._waiting.get(name)
        if waiting and call_id in waiting:
            waiting.remove(call_id)

    async def settle(self, message: object, calls: dict[str, str]) -> None:
        """Shows the calls the CLI answered without any hook (refused before them)."""
        if not isinstance(message, UserMessage) or isinstance(message.content, str):
            return
        for block in message.content:
            if not isinstance(block, ToolResultBlock) or block.tool_use_id in self._settled:
                continue
            self._settled.add(block.tool_use_id)
            name = display_name(calls.get(block.tool_use_id, "tool"))
            said = native_output(block.content)
            if self.tools is None:
                self.sink.notice(f"the {self.role}'s {name} call was refused: {said}")
                continue
            await self.tools.native_started(block.tool_use_id, name, {})
            ok = not block.is_error
            self.tools.native_finished(
                block.tool_use_id, name, ok=ok, output=said if ok else "", error="" if ok else said
            )


def _deny(reason: str, context_text: str, stop: str | None = None) -> dict[str, Any]:
    specific: dict[str, Any] = {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": reason,
    }
    if context_text:
        specific["additionalContext"] = context_text
    out: dict[str, Any] = {"hookSpecificOutput": specific}
    if stop is not None:
        out.update({"continue_": False, "stopReason": stop})
    return out


def _added_context(event: str, steering: list[Steering]) -> dict[str, Any]:
    text = _steering_text(steering)
    if not text:
        return {}
    return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}


def _steering_text(steering: list[Steering]) -> str:
    return "\n".join(tool_steering_text(s.id, s.text) for s in steering)


def native_output(response: object) -> str:
    """What a Claude Code tool gave back, as the transcript shows it."""
    if isinstance(response, str):
        return clip(response, SHOWN_CHARS)
    if isinstance(response, list):
        texts = [str(b.get("text", "")) for b in response if isinstance(b, dict)]
        return clip("\n".join(t for t in texts if t), SHOWN_CHARS)
    if not isinstance(response, dict):
        return ""
    file = response.get("file")
    if isinstance(file, dict) and "content" in file:
        return clip(str(file["content"]), SHOWN_CHARS)
    if response.get("type") in ("create", "update") and "filePath" in response:
        return f"{'created' if response['type'] == 'create' else 'replaced'} {response['filePath']}"
    if "filePath" in response and "oldString" in response:
        return f"edited {response['filePath']}"
    for key in ("filenames", "content"):
        value = response.get(key)
        if isinstance(value, list):
            return clip("\n".join(map(str, value)), SHOWN_CHARS) or "(nothing found)"
        if isinstance(value, str):
            return clip(value, SHOWN_CHARS)
    return clip(json.dumps(response, default=str), SHOWN_CHARS)
