"""The coder's and the auditor's tool loop: ask, run the tools the model calls, send back
their results (and any steering that arrived with them), until the model calls `finish`.

A call the model botched (input that is not a JSON object, cut off by the output limit)
is answered with a tool error, like a call the toolbox refuses; neither is a crash. The
loop also ends when a budget cap is reached or after the configured number of rounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from jitskit_tui.agents.anthropic.context import clip, tool_steering_text
from jitskit_tui.agents.anthropic.conversation import text_block
from jitskit_tui.agents.anthropic.role_chat import RoleChat
from jitskit_tui.agents.anthropic.stream import JSON, ToolCall
from jitskit_tui.protocol.agent import AgentSink
from jitskit_tui.protocol.tools import Steering, Tools

RESULT_CHARS = 100_000
"""The most of one tool result the model gets (a whole store file fits)."""
MAX_NUDGES = 2

NOT_FINISHED = (
    "You have not called finish yet. Go on with your tools, or call finish with one line "
    "saying what you did."
)
CUT_OFF = (
    "Your reply was cut off by the output limit. Go on, in smaller steps (smaller files, "
    "edit_file for changes)."
)
STEERED_AFTER_FINISH = (
    "You called finish, but the human steered just now (above): act on it, then call finish again."
)


@dataclass
class LoopOutcome:
    text: str
    """The model's last words."""
    finished: str | None
    """The summary given to `finish`, when it was called."""
    stopped: str = ""
    """Why the loop ended before `finish` (budget, rounds); empty otherwise."""


def tool_params(tools: Tools) -> list[JSON]:
    return [
        {"name": s.name, "description": s.description, "input_schema": s.input_schema}
        for s in tools.specs()
    ]


async def run_tool_loop(chat: RoleChat, tools: Tools, sink: AgentSink) -> LoopOutcome:
    params = tool_params(tools)
    conversation = chat.conversation
    rounds = nudges = 0
    last_text = ""
    while True:
        over = sink.budget.exhausted()
        if over is not None:
            sink.notice(
                f"the {chat.role} stopped before its next request: {over}",
                "the loop stops once this iteration is recorded",
            )
            return LoopOutcome(last_text, tools.finished, over)
        reply = await chat.send(sink, params)
        if reply.text.strip():
            last_text = reply.text.strip()
        if reply.tool_calls:
            blocks, steering = await _run_calls(reply.tool_calls, tools, sink)
            blocks += [text_block(tool_steering_text(s.id, s.text)) for s in steering]
            if steering and tools.finished is not None:
                tools.finished = None  # it must hear the steering before it may finish
                blocks.append(text_block(STEERED_AFTER_FINISH))
            conversation.add_user(blocks)
            if tools.finished is not None:
                return LoopOutcome(last_text, tools.finished)
            rounds += 1
            if rounds >= chat.settings.max_tool_rounds:
                why = f"{rounds} tool rounds, the most one turn may take"
                sink.notice(
                    f"the {chat.role} was stopped after {why}",
                    "raise anthropic.max_tool_rounds in ~/.config/jitskit/config.toml",
                )
                return LoopOutcome(last_text, tools.finished, why)
            continue
        if tools.finished is None and nudges < MAX_NUDGES and reply.stop_reason != "refusal":
            nudges += 1
            cut = reply.stop_reason == "max_tokens"
            conversation.add_user([text_block(CUT_OFF if cut else NOT_FINISHED)])
            continue
        return LoopOutcome(last_text, tools.finished)


async def _run_calls(
    calls: list[ToolCall], tools: Tools, sink: AgentSink
) -> tuple[list[JSON], list[Steering]]:
    blocks: list[JSON] = []
    steering: list[Steering] = []
    for call in calls:
        if call.arguments is None:
            sink.notice(f"the model's {call.name} call was malformed and not run: {call.problem}")
            message = f"error: your {call.name} call was not run: {call.problem}"
            blocks.append(_result(call.id, message, error=True))
            continue
        result = await tools.call(call.name, call.arguments, call.id)
        blocks.append(_result(call.id, result.output, error=not result.ok))
        steering += result.steering
    return blocks, steering


def _result(call_id: str, output: str, *, error: bool) -> JSON:
    block: JSON = {
        "type": "tool_result",
        "tool_use_id": call_id,
        "content": clip(output, RESULT_CHARS) or "(no output)",
    }
    if error:
        block["is_error"] = True
    return block
