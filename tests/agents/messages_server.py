"""A real HTTP server on loopback that speaks the Anthropic Messages API, for the tests.

It serves `POST /v1/messages` over HTTP/1.1 (keep-alive), as the API documents it: a JSON
message when the request does not stream, and server-sent events when it does
(`message_start`, `content_block_start`, `content_block_delta` with `text_delta`,
`thinking_delta`, `signature_delta` and `input_json_delta`, `content_block_stop`,
`message_delta` with the stop reason and usage, `message_stop`, and a `ping`). Errors have
the documented body (`{"type": "error", "error": {"type": ..., "message": ...}}`) and any
headers a test gives (`retry-after`).

What the "model" says is scripted per test: a responder gets each request (parsed) and
returns a :class:`Reply`. The server runs its own event loop in a thread, so it keeps
answering while the test's loop is busy, and records every request and every client
disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    529: "Overloaded",
}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


# -- what the server received ------------------------------------------------------------


@dataclass
class Received:
    """One request, as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: JSON
    at: float

    @property
    def api_key(self) -> str:
        """The key sent: `x-api-key`, or an `authorization: Bearer` header (the SDK's)."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        return self.headers.get("authorization", "").removeprefix("Bearer ").strip()

    @property
    def system_text(self) -> str:
        system = self.body.get("system", "")
        if isinstance(system, str):
            return system
        return "\n".join(str(b.get("text", "")) for b in system)

    @property
    def role(self) -> str:
        """The role named on the system prompt's `Role:` line (`planner`, `coder`, ...)."""
        for line in self.system_text.splitlines():
            if line.startswith("# Role: "):
                return line.removeprefix("# Role: ").strip()
        return ""

    @property
    def messages(self) -> list[JSON]:
        return list(self.body.get("messages", []))

    def user_texts(self, index: int = -1) -> str:
        """The text of a user message (the last by default), tool results included."""
        message = [m for m in self.messages if m["role"] == "user"][index]
        return content_text(message["content"])

    @property
    def all_text(self) -> str:
        return "\n".join(content_text(m["content"]) for m in self.messages)

    def tool_results(self) -> list[JSON]:
        """The tool results of the last user message."""
        last = self.messages[-1]
        if last["role"] != "user" or isinstance(last["content"], str):
            return []
        return [b for b in last["content"] if b.get("type") == "tool_result"]


def content_text(content: str | list[JSON]) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if block.get("type") == "text":
            parts.append(str(block["text"]))
        elif block.get("type") == "tool_result":
            inner = block.get("content", "")
            parts.append(content_text(inner) if isinstance(inner, list) else str(inner))
        elif block.get("type") == "tool_use":
            parts.append(json.dumps(block.get("input")))
    return "\n".join(parts)


# -- replies -----------------------------------------------------------------------------


def text(value: str) -> JSON:
    return {"type": "text", "text": value}


def tool(name: str, arguments: JSON | None = None, *, raw: str | None = None) -> JSON:
    """A tool_use block; ``raw`` streams that text as its input JSON instead (malformed)."""
    block: JSON = {
        "type": "tool_use",
        "id": "toolu_" + secrets.token_hex(8),
        "name": name,
        "input": arguments or {},
    }
    if raw is not None:
        block["raw"] = raw
    return block


def thinking(value: str) -> JSON:
    return {"type": "thinking", "thinking": value, "signature": "sig-" + secrets.token_hex(6)}


@dataclass
class Message:
    """A model reply: content blocks, a stop reason and usage."""

    content: list[JSON]
    stop_reason: str | None = None
    input_tokens: int | None = None
    """``None``: about a token per four characters of the request, like a tokenizer."""
    output_tokens: int = 200
    cache_read: int = 0
    cache_write: int = 0
    chunk: int = 16
    """Characters per text delta."""
    delay_s: float = 0.0
    """Pause between events (to make a stream observable mid-way)."""
    hang_after: int | None = None
    """Stop after this many events and hold the connection open until the client goes."""
    drop_after: int | None = None
    """Close the connection abruptly after this many events."""
    error_after: int | None = None
    """Send an `error` event (overloaded) after this many events, and end the stream."""

    def reason(self) -> str:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_use" if any(b["type"] == "tool_use" for b in self.content) else "end_turn"


@dataclass
class Error:
    status: int
    message: str = "scripted error"
    error_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Reply = Message | Error
Responder = Callable[[Received], Reply]


class RoleScript:
    """Replies per role, in order; a reply may be a callable of the request."""

    def __init__(self, script: dict[str, list[Reply | Responder]]) -> None:
        self.script = {role: list(replies) for role, replies in script.items()}
        self.problems: list[str] = []

    def __call__(self, request: Received) -> Reply:
        role = request.role
        queue = self.script.get(role)
        if not queue:
            self.problems.append(f"unscripted request for role {role!r}")
            return Error(500, f"the test scripted no more replies for {role!r}", "api_error")
        reply = queue.pop(0)
        return reply(request) if callable(reply) else reply

    def left(self) -> dict[str, int]:
        return {role: len(q) for role, q in self.script.items() if q}


def check_messages(body: JSON) -> str:
    """What the API would reject in a request's messages (empty when nothing): the first
    message from the user, roles alternating, no empty text, every tool call answered in
    the next message and every tool result answering a call of the message before."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    # Claude Code sends per-turn context as `system` messages between the turns (a beta of
    # the API); they take no part in the alternation or in pairing tool calls.
    turns = [(i, m) for i, m in enumerate(messages) if m.get("role") != "system"]
    if not turns or turns[0][1].get("role") != "user":
        return "messages.0: the first message must use the user role"
    asked: set[str] = set()
    previous = ""
    for index, message in turns:
        role = message.get("role")
        if role == previous:
            return f"messages.{index}: roles must alternate between user and assistant"
        previous = role
        content = message.get("content")
        blocks = [text(content)] if isinstance(content, str) else list(content or [])
        if not blocks:
            return f"messages.{index}: content must not be empty"
        for block in blocks:
            if block.get("type") == "text" and not block.get("text"):
                return f"messages.{index}: text content blocks must be non-empty"
        if role == "user":
            answered = {b["tool_use_id"] for b in blocks if b.get("type") == "tool_result"}
            if answered - asked:
                return f"messages.{index}: tool_result for an unknown tool_use id"
            if asked - answered:
                return f"messages.{index}: tool_use ids without a tool_result: {asked - answered}"
            asked = set()
        else:
            asked = {b["id"] for b in blocks if b.get("type") == "tool_use"}
    return ""


# -- the server --------------------------------------------------------------------------


class MessagesServer:
    """`with MessagesServer(responder) as server:` serves on `server.url` until the end."""

    def __init__(self, responder: Responder, *, api_key: str | None = None) -> None:
        self.responder = responder
        self.api_key = api_key
        self.requests: list[Received] = []
        self.errors: list[str] = []
        """Checks that failed inside the responder (a test asserts there are none)."""
        self.disconnects: list[float] = []
        """When a client went away while the server held a stream open for it."""
        self.streaming = threading.Event()
        """Set once a held stream (``hang_after``) has sent its events."""
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MessagesServer:
        self._thread = threading.Thread(target=self._serve, name="messages-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Messages API test server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._shutdown)
        if self._thread is not None:
            self._thread.join(10)

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()
        asyncio.get_running_loop().call_later(0.2, asyncio.get_running_loop().stop)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]

        loop.run_until_complete(start())
        self._ready.set()
        loop.run_forever()
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def received(self, role: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if role is None or r.role == role]

    # -- one connection ------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                with self._lock:
                    self.requests.append(request)
                keep = await self._answer(request, reader, writer)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # the client went away, or the server is shutting down
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(
        self, request: Received, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        if request.method != "POST" or request.path.split("?")[0] != "/v1/messages":
            await _send_error(writer, Error(404, f"no route {request.method} {request.path}"))
            return True
        if self.api_key is not None and request.api_key != self.api_key:
            await _send_error(writer, Error(401, "invalid x-api-key", "authentication_error"))
            return True
        problem = check_messages(request.body)
        if problem:
            self.errors.append(f"invalid request: {problem}")
            await _send_error(writer, Error(400, problem, "invalid_request_error"))
            return True
        try:
            reply = await asyncio.to_thread(self.responder, request)
        except Exception as exc:  # a test's check failed: stop the client with a 400
            self.errors.append(f"{type(exc).__name__}: {exc}")
            reply = Error(400, f"the test's responder failed: {exc}", "invalid_request_error")
        if isinstance(reply, Error):
            await _send_error(writer, reply)
            return True
        if not request.body.get("stream"):
            await _send_json(writer, 200, _message_json(reply, request), {})
            return True
        return await self._stream(reply, request, reader, writer)

    async def _stream(
        self,
        reply: Message,
        request: Received,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
            f"request-id: req_{secrets.token_hex(6)}\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        writer.write(head.encode())
        for sent, (name, data) in enumerate(_sse_events(reply, request)):
            if reply.drop_after is not None and sent >= reply.drop_after:
                writer.transport.abort()
                return False
            if reply.error_after is not None and sent >= reply.error_after:
                error = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
                payload = f"event: error\ndata: {json.dumps(error)}\n\n".encode()
                writer.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
                break
            if reply.hang_after is not None and sent >= reply.hang_after:
                await writer.drain()
                self.streaming.set()
                # EOF, or a reset: the client closed the connection, gently or not.
                with contextlib.suppress(ConnectionError):
                    await reader.read()
                self.disconnects.append(time.monotonic())
                return False
            payload = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            writer.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            await writer.drain()
            if reply.delay_s:
                await asyncio.sleep(reply.delay_s)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


async def _read_request(reader: asyncio.StreamReader) -> Received | None:
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    parsed = json.loads(body) if body else {}
    return Received(method, path, headers, parsed, time.monotonic())


async def _send_json(
    writer: asyncio.StreamWriter, status: int, body: JSON, headers: dict[str, str]
) -> None:
    data = json.dumps(body).encode()
    lines = [
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
        "content-type: application/json",
        f"content-length: {len(data)}",
        f"request-id: req_{secrets.token_hex(6)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
    await writer.drain()


async def _send_error(writer: asyncio.StreamWriter, error: Error) -> None:
    kind = error.error_type or ERROR_TYPES.get(error.status, "api_error")
    body = {"type": "error", "error": {"type": kind, "message": error.message}}
    await _send_json(writer, error.status, body, error.headers)


def _usage(reply: Message, request: Received) -> JSON:
    measured = len(json.dumps(request.body)) // 4
    return {
        "input_tokens": reply.input_tokens if reply.input_tokens is not None else measured,
        "output_tokens": reply.output_tokens,
        "cache_read_input_tokens": reply.cache_read,
        "cache_creation_input_tokens": reply.cache_write,
    }


def _clean(block: JSON) -> JSON:
    return {k: v for k, v in block.items() if k != "raw"}


def _message_json(reply: Message, request: Received) -> JSON:
    return {
        "id": "msg_" + secrets.token_hex(8),
        "type": "message",
        "role": "assistant",
        "model": request.body.get("model", ""),
        "content": [_clean(b) for b in reply.content],
        "stop_reason": reply.reason(),
        "stop_sequence": None,
        "usage": _usage(reply, request),
    }


def _sse_events(reply: Message, request: Received) -> list[tuple[str, JSON]]:
    start = _message_json(reply, request)
    start["content"] = []
    start["stop_reason"] = None
    start["usage"] = {**_usage(reply, request), "output_tokens": 1}
    events: list[tuple[str, JSON]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    events.append(("ping", {"type": "ping"}))
    for index, block in enumerate(reply.content):
        kind = block["type"]
        if kind == "text":
            opening: JSON = {"type": "text", "text": ""}
        elif kind == "thinking":
            opening = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "tool_use":
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        else:
            opening = _clean(block)
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
        )
        for delta in _deltas(block, reply.chunk):
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.reason(), "stop_sequence": None},
                "usage": {"output_tokens": reply.output_tokens},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def _pieces(value: str, size: int) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


def _deltas(block: JSON, size: int) -> list[JSON]:
    kind = block["type"]
    if kind == "text":
        return [{"type": "text_delta", "text": p} for p in _pieces(block["text"], size)]
    if kind == "thinking":
        deltas: list[JSON] = [
            {"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], size)
        ]
        return [*deltas, {"type": "signature_delta", "signature": block["signature"]}]
    if kind == "tool_use":
        raw = block.get("raw")
        encoded = raw if raw is not None else json.dumps(block["input"])
        return [{"type": "input_json_delta", "partial_json": p} for p in _pieces(encoded, 64)]
    return []
