"""Building one model reply from the Messages API's stream events, reporting as it goes.

Text deltas go to the sink in small batches (a word or a line at a time, not one event per
token), thinking in larger ones; a tool call is announced as it forms, its input in pieces
a few times a second or every ~2 KiB (a long write_file is dozens of events, not
thousands), the last piece when its block ends. Tool inputs are parsed when their block
ends: input that is not a JSON object (malformed, or cut off by the output limit) becomes a
problem the tool loop answers with a tool error instead of a crash.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = dict[str, Any]


class StreamSink(Protocol):
    """What a reply being built reports to (the parts of an `AgentSink` it needs)."""

    def text(self, delta: str) -> None: ...

    def thinking(self, text: str) -> None: ...

    def tool_forming(self, call_id: str, name: str, input_delta: str, input_chars: int) -> None: ...


TEXT_BATCH_CHARS = 48
TEXT_BATCH_S = 0.1
THINKING_BATCH_CHARS = 400
FORMING_BATCH_CHARS = 2048
FORMING_BATCH_S = 0.1


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: dict[str, object] | None
    """The parsed input; ``None`` when it could not be used (see ``problem``)."""
    problem: str = ""
    """Why the call cannot be run (its input is malformed)."""


@dataclass
class TokenCounts:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0

    @property
    def prompt(self) -> int:
        """Everything the request sent (what counts against the context window)."""
        return self.input + self.cache_read + self.cache_write


@dataclass
class ModelReply:
    content: list[JSON]
    """The assistant message's blocks, ready to go back into the conversation."""
    stop_reason: str
    tokens: TokenCounts
    model: str
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(str(b.get("text", "")) for b in self.content if b.get("type") == "text")


class _Relay:
    """Batches deltas of one kind before they reach the sink."""

    def __init__(
        self, send: Callable[[str], None], chars: int, seconds: float | None, *, lines: bool
    ) -> None:
        self._send = send
        self._chars = chars
        self._seconds = seconds
        self._lines = lines
        self._buffer: list[str] = []
        self._size = 0
        self._last = time.monotonic()

    def add(self, delta: str) -> None:
        if not delta:
            return
        self._buffer.append(delta)
        self._size += len(delta)
        due = self._seconds is not None and time.monotonic() - self._last >= self._seconds
        if self._size >= self._chars or (self._lines and "\n" in delta) or due:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._send("".join(self._buffer))
            self._buffer, self._size = [], 0
        self._last = time.monotonic()


class _Forming:
    """One tool call's input as it streams: every piece kept, and passed on to the sink
    in throttled batches (the first at once, so the call shows before its input)."""

    def __init__(self, sink: StreamSink, call_id: str, name: str) -> None:
        self._sink = sink
        self.call_id = call_id
        self.name = name
        self.parts: list[str] = []
        self.chars = 0
        self._unsent: list[str] = []
        self._unsent_chars = 0
        self._last = time.monotonic()
        sink.tool_forming(call_id, name, "", 0)

    def add(self, piece: str) -> None:
        if not piece:
            return
        self.parts.append(piece)
        self.chars += len(piece)
        self._unsent.append(piece)
        self._unsent_chars += len(piece)
        due = time.monotonic() - self._last >= FORMING_BATCH_S
        if self._unsent_chars >= FORMING_BATCH_CHARS or due:
            self.flush()

    def flush(self) -> None:
        if self._unsent:
            self._sink.tool_forming(self.call_id, self.name, "".join(self._unsent), self.chars)
            self._unsent, self._unsent_chars = [], 0
        self._last = time.monotonic()

    @property
    def raw(self) -> str:
        return "".join(self.parts)


class ReplyBuilder:
    """Feeds on raw stream events (``message_start`` ... ``message_stop``)."""

    def __init__(self, sink: StreamSink) -> None:
        self.sink = sink
        self.started = False
        self.stopped = False
        self.model = ""
        self.stop_reason = ""
        self.tokens = TokenCounts()
        self._blocks: dict[int, JSON] = {}
        self._json: dict[int, _Forming] = {}
        self._text = _Relay(sink.text, TEXT_BATCH_CHARS, TEXT_BATCH_S, lines=True)
        self._thinking = _Relay(sink.thinking, THINKING_BATCH_CHARS, None, lines=False)

    def feed(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "message_start":
            self.started = True
            message = event.message
            self.model = str(message.model or "")
            self._usage(message.usage)
        elif kind == "content_block_start":
            self._start(event.index, event.content_block.to_dict())
        elif kind == "content_block_delta":
            self._delta(event.index, event.delta)
        elif kind == "content_block_stop":
            self._stop(event.index)
        elif kind == "message_delta":
            if event.delta.stop_reason:
                self.stop_reason = str(event.delta.stop_reason)
            self._usage(event.usage)
        elif kind == "message_stop":
            self.stopped = True

    def _usage(self, usage: Any) -> None:
        if usage is None:
            return
        if usage.input_tokens is not None:
            self.tokens.input = int(usage.input_tokens)
        if usage.output_tokens is not None:
            self.tokens.output = int(usage.output_tokens)
        if usage.cache_read_input_tokens is not None:
            self.tokens.cache_read = int(usage.cache_read_input_tokens)
        if usage.cache_creation_input_tokens is not None:
            self.tokens.cache_write = int(usage.cache_creation_input_tokens)

    def _start(self, index: int, block: JSON) -> None:
        kind = block.get("type")
        if kind == "text":
            block = {"type": "text", "text": str(block.get("text") or "")}
            self._text.add(block["text"])
        elif kind == "thinking":
            block = {
                "type": "thinking",
                "thinking": str(block.get("thinking") or ""),
                "signature": str(block.get("signature") or ""),
            }
        elif kind == "tool_use":
            block = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            self._json[index] = _Forming(self.sink, str(block["id"]), str(block["name"]))
        self._blocks[index] = block

    def _delta(self, index: int, delta: Any) -> None:
        block = self._blocks.get(index)
        if block is None:
            return
        kind = getattr(delta, "type", "")
        if kind == "text_delta" and block["type"] == "text":
            block["text"] += delta.text
            self._text.add(delta.text)
        elif kind == "thinking_delta" and block["type"] == "thinking":
            block["thinking"] += delta.thinking
            self._thinking.add(delta.thinking)
        elif kind == "signature_delta" and block["type"] == "thinking":
            block["signature"] = delta.signature
        elif kind == "input_json_delta" and index in self._json:
            self._json[index].add(str(delta.partial_json or ""))

    def _stop(self, index: int) -> None:
        block = self._blocks.get(index)
        if block is None:
            return
        if block["type"] == "text":
            self._text.flush()
        elif block["type"] == "thinking":
            self._thinking.flush()
        elif index in self._json:
            self._json[index].flush()

    def flush(self) -> None:
        self._text.flush()
        self._thinking.flush()

    def reply(self) -> ModelReply:
        """The finished reply (call once ``message_stop`` has arrived)."""
        self.flush()
        content: list[JSON] = []
        calls: list[ToolCall] = []
        for index in sorted(self._blocks):
            block = self._blocks[index]
            if block["type"] == "text" and not block["text"]:
                continue  # the API refuses empty text blocks in a request
            if block["type"] == "tool_use":
                forming = self._json.get(index)
                call = self._parse(block, forming.raw if forming is not None else "")
                calls.append(call)
                block["input"] = call.arguments if call.arguments is not None else {}
            content.append(block)
        return ModelReply(
            content=content,
            stop_reason=self.stop_reason or "end_turn",
            tokens=self.tokens,
            model=self.model,
            tool_calls=calls,
        )

    def _parse(self, block: JSON, raw: str) -> ToolCall:
        call_id, name = str(block["id"]), str(block["name"])
        if not raw.strip():
            return ToolCall(call_id, name, {})
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            cut = self.stop_reason == "max_tokens"
            why = (
                "it was cut off by the output limit: write smaller files, or edit in pieces"
                if cut
                else f"it is not valid JSON ({exc.msg} at character {exc.pos})"
            )
            return ToolCall(call_id, name, None, why)
        if not isinstance(value, dict):
            return ToolCall(
                call_id,
                name,
                None,
                f"its input must be a JSON object, not {type(value).__name__}",
            )
        return ToolCall(call_id, name, value)


def reply_from_message(message: Any) -> ModelReply:
    """A non-streamed `Message` as a :class:`ModelReply`."""
    content: list[JSON] = []
    calls: list[ToolCall] = []
    for block in message.content:
        data = block.to_dict()
        kind = data.get("type")
        if kind == "text":
            if not data.get("text"):
                continue
            data = {"type": "text", "text": data["text"]}
        elif kind == "tool_use":
            arguments = data.get("input")
            if isinstance(arguments, dict):
                calls.append(ToolCall(str(data["id"]), str(data["name"]), arguments))
            else:
                calls.append(
                    ToolCall(
                        str(data["id"]), str(data["name"]), None, "its input must be a JSON object"
                    )
                )
                data["input"] = {}
        content.append(data)
    usage = message.usage
    tokens = TokenCounts(
        input=int(usage.input_tokens or 0),
        output=int(usage.output_tokens or 0),
        cache_read=int(usage.cache_read_input_tokens or 0),
        cache_write=int(usage.cache_creation_input_tokens or 0),
    )
    return ModelReply(
        content=content,
        stop_reason=str(message.stop_reason or "end_turn"),
        tokens=tokens,
        model=str(message.model or ""),
        tool_calls=calls,
    )
