"""One turn of Claude Code, as the sink hears it: the CLI's messages become text and
thinking deltas, tool calls forming, retries, compactions and the cost of each response.

The CLI forwards the Messages API's raw stream events (`include_partial_messages`), so a
response is rebuilt by the same :class:`ReplyBuilder` the `anthropic` backend uses (the
same batching of deltas, the same tool-call forming) and priced by the same price table
when its `message_stop` arrives. A response the CLI made without streaming (its fallback
after a stream broke) is counted from its assistant message instead, and the turn's
result, which totals every request the CLI made, settles what is still missing, so the
turn's tokens are exact even when a stream broke off mid-way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
from anthropic.types import RawMessageStreamEvent
from claude_agent_sdk import (
    AssistantMessage,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    ToolUseBlock,
    UserMessage,
)

from jitskit_tui.agents.anthropic.pricing import CostReporter
from jitskit_tui.agents.anthropic.stream import ReplyBuilder, TokenCounts
from jitskit_tui.agents.claude_code.faults import retry_reason
from jitskit_tui.agents.claude_code.policy import MCP_PREFIX
from jitskit_tui.protocol.agent import AgentSink, Compaction

_EVENT = pydantic.TypeAdapter[Any](RawMessageStreamEvent)
SYNTHETIC = "<synthetic>"
"""The model name on the messages the CLI makes up itself (its error reports)."""


def display_name(tool: str) -> str:
    """`mcp__jitskit__build_and_test` -> `build_and_test`; Claude Code's own as they are."""
    return tool.removeprefix(MCP_PREFIX)


class _ShownNames:
    """Passes a builder's reports on, with the jitskit tools under their own names."""

    def __init__(self, sink: AgentSink) -> None:
        self._sink = sink

    def text(self, delta: str) -> None:
        self._sink.text(delta)

    def thinking(self, text: str) -> None:
        self._sink.thinking(text)

    def tool_forming(self, call_id: str, name: str, input_delta: str, input_chars: int) -> None:
        self._sink.tool_forming(call_id, display_name(name), input_delta, input_chars)


class TurnRelay:
    def __init__(
        self,
        sink: AgentSink,
        costs: CostReporter,
        model: str,
        on_retry: Callable[[int | None], None] | None = None,
        *,
        estimated: bool = False,
    ) -> None:
        self.sink = sink
        self.estimated = estimated
        """Priced at API rates though the login is a subscription's."""
        self.costs = costs
        self.model = model
        self.on_retry = on_retry
        """Called with the HTTP status of each failed request the CLI will retry."""
        self.counted = TokenCounts()
        self.last_text = ""
        """The words of the turn's last response that had any."""
        self.session_id = ""
        self.last_uuid = ""
        """The last transcript entry of the turn (where a later turn may resume)."""
        self.result: ResultMessage | None = None
        self.failure: tuple[str, str] | None = None
        """The CLI's own report of a request that failed for good: (error kind, words)."""
        self.tool_calls: dict[str, str] = {}
        """Tool calls the model made (id -> name), as the CLI reports them."""
        self._builder: ReplyBuilder | None = None
        self._streamed: set[str] = set()
        """Responses counted from their stream (by message id)."""
        self._counted_ids: set[str] = set()

    # -- messages ------------------------------------------------------------------------

    def feed(self, message: object) -> None:
        if isinstance(message, StreamEvent):
            if message.parent_tool_use_id is None:
                self._stream_event(message.event)
        elif isinstance(message, AssistantMessage):
            self._assistant(message)
        elif isinstance(message, UserMessage):
            if message.parent_tool_use_id is None and message.uuid:
                self.last_uuid = message.uuid  # a tool's result can end the turn
        elif isinstance(message, SystemMessage):
            self._system(message)
        elif isinstance(message, ResultMessage):
            self._result(message)

    def _stream_event(self, raw: dict[str, Any]) -> None:
        kind = raw.get("type")
        if kind == "message_start":
            self._builder = ReplyBuilder(_ShownNames(self.sink))
            message_id = str(raw.get("message", {}).get("id", ""))
            if message_id:
                self._streamed.add(message_id)
        builder = self._builder
        if builder is None:
            return
        try:
            event = _EVENT.validate_python(raw)
        except pydantic.ValidationError:
            return  # a kind of event this version does not know (or a ping): nothing to show
        builder.feed(event)
        if kind == "message_stop":
            self._finish_response(builder)

    def _finish_response(self, builder: ReplyBuilder) -> None:
        self._builder = None
        reply = builder.reply()
        if reply.text.strip():
            self.last_text = reply.text.strip()
        self._count(reply.model, reply.tokens)

    def abandon(self) -> None:
        """A response that broke off is still billed: counts what its stream said."""
        builder, self._builder = self._builder, None
        if builder is not None and builder.started:
            builder.flush()
            self._count(builder.model, builder.tokens)

    def _assistant(self, message: AssistantMessage) -> None:
        if message.parent_tool_use_id is not None:
            return
        if message.uuid:
            self.last_uuid = message.uuid
        if message.session_id:
            self.session_id = message.session_id
        for block in message.content:
            if isinstance(block, ToolUseBlock):
                self.tool_calls[block.id] = block.name
        if message.model == SYNTHETIC:
            if message.error:
                said = " ".join(getattr(b, "text", "") for b in message.content)
                self.failure = (str(message.error), said)
            return
        message_id = message.message_id or ""
        if message_id in self._streamed:
            return
        # Not streamed: the CLI's fallback request, one message per block, each with the
        # whole response's usage.
        text = " ".join(getattr(b, "text", "") for b in message.content).strip()
        if text:
            self.last_text = text
            self.sink.text(text + "\n")
        if message_id not in self._counted_ids:
            self._counted_ids.add(message_id)
            self._count(message.model, _tokens(message.usage or {}))

    def _system(self, message: SystemMessage) -> None:
        data = message.data
        if message.subtype == "init":
            self.session_id = str(data.get("session_id") or self.session_id)
        elif message.subtype == "api_retry":
            self.abandon()
            status = data.get("error_status")
            code = int(status) if isinstance(status, int) else None
            delay = float(data.get("retry_delay_ms") or 0) / 1000
            attempt = int(data.get("attempt") or 1)
            self.sink.retry(attempt, delay, retry_reason(code, str(data.get("error") or "")))
            if self.on_retry is not None:
                self.on_retry(code)
        elif message.subtype == "compact_boundary":
            meta = data.get("compact_metadata") or {}
            before = int(meta.get("pre_tokens") or 0)
            after = int(meta.get("post_tokens") or 0)
            self.sink.compacted(Compaction("summary", 0, before, after))

    def _result(self, message: ResultMessage) -> None:
        self.abandon()
        self.result = message
        self.session_id = message.session_id or self.session_id
        # The result totals every request of the turn: report what the stream missed.
        total = _tokens(message.usage or {})
        missing = TokenCounts(
            input=max(0, total.input - self.counted.input),
            output=max(0, total.output - self.counted.output),
            cache_read=max(0, total.cache_read - self.counted.cache_read),
            cache_write=max(0, total.cache_write - self.counted.cache_write),
        )
        if missing.input or missing.output or missing.cache_read or missing.cache_write:
            self._count(self.model, missing)

    # -- cost ----------------------------------------------------------------------------

    def _count(self, served: str, tokens: TokenCounts) -> None:
        if not (tokens.input or tokens.output or tokens.cache_read or tokens.cache_write):
            return
        self.counted.input += tokens.input
        self.counted.output += tokens.output
        self.counted.cache_read += tokens.cache_read
        self.counted.cache_write += tokens.cache_write
        self.costs.report(self.sink, self.model, served, tokens, estimated=self.estimated)


def _tokens(usage: dict[str, Any]) -> TokenCounts:
    def number(key: str) -> int:
        value = usage.get(key)
        return int(value) if isinstance(value, int | float) else 0

    return TokenCounts(
        input=number("input_tokens"),
        output=number("output_tokens"),
        cache_read=number("cache_read_input_tokens"),
        cache_write=number("cache_creation_input_tokens"),
    )
