"""The model agent's parts on their own: the user config and the key, prices, what a
failed request means, the bounded whiteboard, and the planner's reply."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic
import httpx2
import pytest
from messages_server import Message, MessagesServer, text, tool

from jitskit_tui.agents.anthropic.agent import AnthropicAgent
from jitskit_tui.agents.anthropic.client import MessagesClient, ModelRequest
from jitskit_tui.agents.anthropic.context import parse_plan, whiteboard_digest
from jitskit_tui.agents.anthropic.faults import StreamCut, backoff_s, classify, retry_after
from jitskit_tui.agents.anthropic.pricing import PriceTable
from jitskit_tui.agents.anthropic.stream import FORMING_BATCH_CHARS, ModelReply
from jitskit_tui.agents.registry import make_agent
from jitskit_tui.config import (
    AnthropicSettings,
    ConfigError,
    RetrySettings,
    api_key,
    load_user_config,
)
from jitskit_tui.engine.whiteboard import initial
from jitskit_tui.protocol.agent import AgentUnavailable, Compaction, Usage
from jitskit_tui.spec import load_spec

SPEC = Path(__file__).resolve().parents[2] / "specs" / "demo.yaml"


def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("JITSKIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "config" / "jitskit"
    folder.mkdir(parents=True)
    return folder / "config.toml"


# -- config and key ----------------------------------------------------------------------


def test_the_key_comes_from_a_file_named_in_the_user_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _isolate(monkeypatch, tmp_path)
    key_file = tmp_path / "anthropic.key"
    key_file.write_text("sk-ant-from-file\n")
    config.write_text(f'[anthropic]\napi_key_file = "{key_file}"\nthinking = "adaptive"\n')
    settings = load_user_config().anthropic
    assert api_key(settings) == "sk-ant-from-file" and settings.thinking == "adaptive"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    assert api_key(settings) == "sk-ant-from-env"  # the environment wins
    agent = make_agent("anthropic", load_spec(SPEC))
    assert isinstance(agent, AnthropicAgent)
    assert "sk-ant" not in repr(settings)


def test_without_a_key_the_agent_is_unavailable_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _isolate(monkeypatch, tmp_path)
    with pytest.raises(AgentUnavailable, match=r"ANTHROPIC_API_KEY.*--agent scripted"):
        make_agent("anthropic", load_spec(SPEC))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[anthropic\n", "not valid TOML"),
        ("[anthropic]\ncompact_at = 2\n", "anthropic.compact_at"),
        ("[anthropic]\nmystery = 1\n", "anthropic.mystery"),
        ('[anthropic]\napi_key_file = "/nonexistent/key"\n', "cannot read it"),
    ],
)
def test_a_broken_config_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, says: str
) -> None:
    config = _isolate(monkeypatch, tmp_path)
    config.write_text(text)
    with pytest.raises(AgentUnavailable, match=says) as caught:
        make_agent("anthropic", load_spec(SPEC))
    assert str(config) in str(caught.value)
    with pytest.raises(ConfigError):
        settings = load_user_config().anthropic
        api_key(settings)


# -- prices ------------------------------------------------------------------------------


def test_prices_by_family_and_overridden_by_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = PriceTable()
    sonnet = table.rates("claude-sonnet-5-5")
    assert (sonnet.input, sonnet.output, sonnet.cache_read, sonnet.cache_write) == (
        3.0,
        15.0,
        pytest.approx(0.3),
        pytest.approx(3.75),
    )
    assert sonnet.dollars(1_000_000, 100_000, 2_000_000, 0) == pytest.approx(3 + 1.5 + 0.6)
    assert not table.rates("some-new-model").known
    config = _isolate(monkeypatch, tmp_path)
    config.write_text('[prices."claude-sonnet-5-5"]\ninput = 1.0\noutput = 2.0\n')
    overridden = PriceTable(load_user_config().prices).rates("claude-sonnet-5-5")
    assert (overridden.input, overridden.output, overridden.cache_read) == (1.0, 2.0, 0.1)


# -- faults ------------------------------------------------------------------------------


def _status_error(status: int, kind: str, message: str, **headers: str) -> anthropic.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    body = {"type": "error", "error": {"type": kind, "message": message}}
    response = httpx2.Response(status, headers=headers, json=body, request=request)
    return anthropic.APIStatusError(f"Error code: {status}", response=response, body=body)


@pytest.mark.parametrize(
    ("status", "kind", "message", "expected"),
    [
        (429, "rate_limit_error", "slow", "retry"),
        (529, "overloaded_error", "busy", "retry"),
        (500, "api_error", "oops", "retry"),
        (503, "api_error", "oops", "retry"),
        (200, "overloaded_error", "mid-stream", "retry"),
        (401, "authentication_error", "bad key", "fatal"),
        (403, "permission_error", "no", "fatal"),
        (404, "not_found_error", "model: nope", "fatal"),
        (400, "invalid_request_error", "prompt is too long: 250000 tokens > 200000", "too-long"),
        (413, "request_too_large", "too big", "too-long"),
        (400, "invalid_request_error", "messages: bad", "fatal"),
    ],
)
def test_what_a_failed_request_means(status: int, kind: str, message: str, expected: str) -> None:
    fault = classify(_status_error(status, kind, message), model="m", role="coder")
    assert fault is not None and fault.kind == expected


def test_drops_and_cut_streams_are_retried_and_other_errors_are_not() -> None:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    dropped = classify(httpx2.RemoteProtocolError("peer closed"), model="m", role="coder")
    assert dropped is not None and dropped.kind == "retry"
    refused = classify(anthropic.APIConnectionError(request=request), model="m", role="coder")
    assert refused is not None and refused.kind == "retry"
    cut = classify(StreamCut("no message_stop"), model="m", role="coder")
    assert cut is not None and cut.kind == "retry"
    assert classify(KeyError("bug"), model="m", role="coder") is None


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    settings = RetrySettings(base_delay_s=1.0, max_delay_s=8.0)
    fault = classify(_status_error(529, "overloaded_error", "busy"), model="m", role="coder")
    assert fault is not None
    waits = [backoff_s(n, fault, settings) for n in (1, 2, 3, 4, 5, 6)]
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0 and 4.0 <= waits[5] <= 8.0
    limited = classify(
        _status_error(429, "rate_limit_error", "slow", **{"retry-after": "7"}), model="m", role="c"
    )
    assert limited is not None and limited.retry_after_s == 7.0
    assert 7.0 <= backoff_s(1, limited, settings) <= 8.0
    assert retry_after(httpx2.Headers({"retry-after-ms": "250"})) == 0.25


# -- contexts ----------------------------------------------------------------------------


def test_the_whiteboard_is_bounded_but_keeps_every_designs_numbers() -> None:
    board = initial("demo")
    for n in range(1, 51):
        board += f"\n## Iteration {n}: design {n}\n\n" + f"Long reasoning about design {n}. " * 60
        board += f"\n\n**Result**: pass, {1000 * n:,} ops/s, ratio unknown\n"
    digest = whiteboard_digest(board, 20_000)
    assert len(board) > 90_000 and len(digest) <= 20_000
    assert digest.startswith("# Whiteboard: demo")
    assert "- Iteration 3: design 3 — pass, 3,000 ops/s" in digest
    assert "Long reasoning about design 50." in digest  # the newest in full
    assert "Long reasoning about design 3." not in digest


@pytest.mark.parametrize(
    ("reply", "title"),
    [
        ("TITLE: Flat hash map\n\nThe design.", "Flat hash map"),
        ("**Title:** Flat hash map\n\nThe design.", "Flat hash map"),
        ("# Flat hash map\n\nThe design.", "Flat hash map"),
    ],
)
def test_the_plan_title_is_its_title_line(reply: str, title: str) -> None:
    parsed_title, design = parse_plan(reply)
    assert parsed_title == title and design.endswith("The design.")


# -- streaming ---------------------------------------------------------------------------


class NoCaps:
    """A budget with room left, always."""

    def exhausted(self) -> str | None:
        return None


class RecordingSink:
    """An AgentSink that keeps what it is told."""

    budget = NoCaps()

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.forming: list[tuple[str, str, str, int]] = []
        self.usages: list[Usage] = []
        self.compactions: list[Compaction] = []

    def text(self, delta: str) -> None:
        self.texts.append(delta)

    def thinking(self, text: str) -> None:
        pass

    def usage(self, usage: Usage) -> None:
        self.usages.append(usage)

    def retry(self, attempt: int, delay_s: float, reason: str) -> None:
        pass

    def notice(self, message: str, next_step: str = "") -> None:
        pass

    def tool_forming(self, call_id: str, name: str, input_delta: str, input_chars: int) -> None:
        self.forming.append((call_id, name, input_delta, input_chars))

    def compacted(self, report: Compaction) -> None:
        self.compactions.append(report)


def _coder_request() -> ModelRequest:
    return ModelRequest(
        role="coder",
        model="claude-sonnet-5-5",
        system=[{"type": "text", "text": "# Role: coder"}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "go"}]}],
        max_tokens=1000,
    )


async def _stream(
    reply: Message, monkeypatch: pytest.MonkeyPatch
) -> tuple[RecordingSink, ModelReply]:
    with MessagesServer(lambda request: reply) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        client = MessagesClient("sk-test", AnthropicSettings(), PriceTable())
        sink = RecordingSink()
        got = await client.stream(_coder_request(), sink)
        await client.close()
    return sink, got


async def test_text_is_batched_and_tool_calls_are_shown_as_they_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = "x" * 20_000
    arguments = {"path": "store/a.cc", "content": content}
    call = tool("write_file", arguments)
    reply = Message([text("word " * 40), call], chunk=4)
    sink, got = await _stream(reply, monkeypatch)
    assert "".join(sink.texts) == "word " * 40
    assert 1 < len(sink.texts) < 50  # batched: fewer events than the 50 deltas sent

    # The call shows at once, then its input in pieces of ~2 KiB, not the 313 deltas sent.
    raw = json.dumps(arguments)
    assert sink.forming[0] == (call["id"], "write_file", "", 0)
    pieces = [delta for _, _, delta, _ in sink.forming[1:]]
    assert "".join(pieces) == raw and all(pieces)
    assert 5 <= len(pieces) <= len(raw) // FORMING_BATCH_CHARS + 2
    assert [chars for *_, chars in sink.forming[1:]][-1] == len(raw)
    assert got.tool_calls[0].arguments == arguments
    assert got.stop_reason == "tool_use" and len(sink.usages) == 1


async def test_a_slow_tool_call_forms_a_few_times_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arguments = {"path": "store/a.cc", "content": "y" * 700}  # 12 deltas, well under 2 KiB
    reply = Message([tool("write_file", arguments)], delay_s=0.05)
    sink, got = await _stream(reply, monkeypatch)
    pieces = [delta for _, _, delta, _ in sink.forming[1:]]
    assert len(pieces) >= 2 and "".join(pieces) == json.dumps(arguments)
    assert got.tool_calls[0].arguments == arguments
