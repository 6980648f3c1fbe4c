"""Requests to the Messages API through the official SDK, with our own retries.

The SDK's retries are off (`max_retries=0`) so that every retry is ours and visible as an
event (`sink.retry`). A streamed request reports text and thinking as it arrives; abort
cancels the task, and the stream's context closes the response (and its connection) on
the way out. Every response's usage becomes a `cost_update` with its dollars.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anthropic

from jitskit_tui.agents.anthropic.faults import Fault, StreamCut, backoff_s, classify
from jitskit_tui.agents.anthropic.pricing import CostReporter, PriceTable
from jitskit_tui.agents.anthropic.stream import (
    JSON,
    ModelReply,
    ReplyBuilder,
    TokenCounts,
    reply_from_message,
)
from jitskit_tui.config import AnthropicSettings
from jitskit_tui.protocol.agent import AgentFatalError, AgentSink

T = TypeVar("T")


class ModelUnavailable(Exception):
    """Requests kept failing after every retry (an outage): the iteration's agent error."""


class ContextTooLong(Exception):
    """The request does not fit the model's context window: compact and send again."""


@dataclass
class ModelRequest:
    role: str
    model: str
    system: list[JSON]
    messages: list[JSON]
    max_tokens: int
    tools: list[JSON] = field(default_factory=list)
    thinking: JSON | None = None

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "messages": self.messages,
        }
        if self.tools:
            params["tools"] = self.tools
        if self.thinking is not None:
            params["thinking"] = self.thinking
        return params


class Redactor:
    """Takes the API key out of any text that leaves the agent."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, text: str) -> str:
        if self.secret and self.secret in text:
            return text.replace(self.secret, "[redacted]")
        return text


class MessagesClient:
    def __init__(
        self,
        api_key: str,
        settings: AnthropicSettings,
        prices: PriceTable,
    ) -> None:
        self.settings = settings
        self.prices = prices
        self.redact = Redactor(api_key)
        self.costs = CostReporter(prices)
        base_url = os.environ.get("ANTHROPIC_BASE_URL") or settings.base_url
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            timeout=settings.timeout_s,
            open_telemetry=False,
        )

    async def close(self) -> None:
        await self._client.close()

    # -- requests ------------------------------------------------------------------------

    async def stream(self, request: ModelRequest, sink: AgentSink) -> ModelReply:
        """Sends ``request`` streaming, retrying what can be retried."""
        return await self._with_retries(request, sink, lambda: self._stream_once(request, sink))

    async def complete(self, request: ModelRequest, sink: AgentSink) -> ModelReply:
        """Sends ``request`` without streaming (internal work such as compaction)."""
        return await self._with_retries(request, sink, lambda: self._complete_once(request, sink))

    async def _stream_once(self, request: ModelRequest, sink: AgentSink) -> ModelReply:
        builder = ReplyBuilder(sink)
        reported = False
        try:
            stream = await self._client.messages.create(**request.params(), stream=True)
            async with stream:
                async for event in stream:
                    builder.feed(event)
            if not builder.stopped:
                raise StreamCut("no message_stop before the stream ended")
            reply = builder.reply()
            reported = True
            self._report(sink, request.model, reply.model, reply.tokens)
            return reply
        finally:
            builder.flush()
            if builder.started and not reported:
                # A response that broke off (or was aborted) after it started is still billed.
                self._report(sink, request.model, builder.model, builder.tokens)

    async def _complete_once(self, request: ModelRequest, sink: AgentSink) -> ModelReply:
        message = await self._client.messages.create(**request.params(), stream=False)
        reply = reply_from_message(message)
        self._report(sink, request.model, reply.model, reply.tokens)
        return reply

    async def _with_retries(
        self, request: ModelRequest, sink: AgentSink, attempt_once: Callable[[], Awaitable[T]]
    ) -> T:
        retry = self.settings.retry
        attempt = 1
        while True:
            try:
                return await attempt_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                fault = classify(exc, model=request.model, role=request.role)
                if fault is None:
                    raise
                if fault.kind == "fatal":
                    raise AgentFatalError(
                        self.redact(fault.reason), self.redact(fault.next_step)
                    ) from None
                if fault.kind == "too-long":
                    raise ContextTooLong(self.redact(fault.reason)) from None
                if attempt >= retry.attempts:
                    raise ModelUnavailable(self._gave_up(fault, attempt)) from None
                delay = backoff_s(attempt, fault, retry)
                sink.retry(attempt, delay, self.redact(fault.reason))
                await asyncio.sleep(delay)
                attempt += 1

    def _gave_up(self, fault: Fault, attempts: int) -> str:
        return self.redact(
            f"the Messages API kept failing ({fault.reason}) after {attempts} attempts; "
            "the loop goes on with the next iteration"
        )

    # -- cost ----------------------------------------------------------------------------

    def _report(self, sink: AgentSink, model: str, served: str, tokens: TokenCounts) -> None:
        """Reports one response's cost; the event names the model that served it."""
        self.costs.report(sink, model, served, tokens)
