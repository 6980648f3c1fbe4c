"""What a failed request means: retry it (and when), compact and retry, or stop the run.

Retried: rate limits (429, honouring `retry-after`), overload (529), server errors (5xx),
408/409, errors the server sends mid-stream, dropped connections and streams cut short.
Not retried: 400, 401, 403, 404, 413 and other client errors, which stop the run with a
message that says what to fix; except a request too long for the model's context
window, which is compacted and sent again.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from typing import Literal

import anthropic
import httpx2

from jitskit_tui.config import RetrySettings

FaultKind = Literal["retry", "fatal", "too-long"]


class StreamCut(Exception):
    """The response stream ended before `message_stop`."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    reason: str
    """One line: what happened (no secrets: it comes from the server's error type)."""
    next_step: str = ""
    retry_after_s: float | None = None


_TOO_LONG_HINTS = ("prompt is too long", "too many tokens", "context window", "context length")


def _api_message(exc: anthropic.APIStatusError) -> str:
    message = exc.api_message or ""
    return " ".join(message.split())[:300]


def retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - time.time())


def classify(exc: BaseException, *, model: str, role: str) -> Fault | None:
    """What ``exc`` from a request means; ``None`` when it is not a request failure."""
    if isinstance(exc, anthropic.APIStatusError):
        return _status_fault(exc, model=model, role=role)
    if isinstance(exc, anthropic.APIConnectionError):
        timed_out = isinstance(exc, anthropic.APITimeoutError)
        return Fault("retry", "the request timed out" if timed_out else "cannot connect")
    if isinstance(exc, httpx2.TransportError):
        return Fault("retry", f"connection dropped mid-response ({type(exc).__name__})")
    if isinstance(exc, StreamCut):
        return Fault("retry", f"the response stream was cut short: {exc}")
    if isinstance(exc, ValueError) and "JSON" in str(exc):
        return Fault("retry", "the response stream held malformed data")
    return None


def _status_fault(exc: anthropic.APIStatusError, *, model: str, role: str) -> Fault:
    status, kind = exc.status_code, exc.type or ""
    said = _api_message(exc)
    label = f"{status} {kind}".strip() if status != 200 else f"{kind or 'error'} mid-stream"
    detail = f"{label}: {said}" if said else label
    if status == 200:
        if kind == "invalid_request_error":
            return _bad_request(detail, said, model=model, role=role)
        return Fault("retry", f"the server reported {detail}")
    if status == 429:
        return Fault(
            "retry", f"rate limited ({detail})", retry_after_s=retry_after(exc.response.headers)
        )
    if status in (408, 409) or status >= 500:
        return Fault(
            "retry",
            f"the server failed ({detail})",
            retry_after_s=retry_after(exc.response.headers),
        )
    if status == 401:
        return Fault(
            "fatal",
            f"the Anthropic API refused the key ({detail})",
            "set a valid key in ANTHROPIC_API_KEY or in ~/.config/jitskit/config.toml "
            "(anthropic.api_key_file), or run with --agent scripted",
        )
    if status == 403:
        return Fault(
            "fatal",
            f"the key may not use {model} for the {role} ({detail})",
            f"give the key access to {model}, or set loop.models.{role} in the spec to a model "
            "it may use",
        )
    if status == 404:
        return Fault(
            "fatal",
            f"model {model!r} (the {role}'s) is unknown to the API ({detail})",
            f"set loop.models.{role} in the spec to a current model name",
        )
    if status == 402:
        return Fault(
            "fatal",
            f"the API needs payment for this key ({detail})",
            "check the account's billing, or run with --agent scripted",
        )
    if status == 413:
        return Fault(
            "too-long",
            f"the request is too large ({detail})",
            "files read or written in one call are too big; keep store files smaller",
        )
    if status == 400:
        return _bad_request(detail, said, model=model, role=role)
    return Fault(
        "fatal", f"the API rejected the {role}'s request ({detail})", "see the message above"
    )


def _bad_request(detail: str, said: str, *, model: str, role: str) -> Fault:
    lowered = said.lower()
    if any(hint in lowered for hint in _TOO_LONG_HINTS):
        return Fault(
            "too-long",
            f"the {role}'s conversation is too long for {model} ({detail})",
            "lower anthropic.context_window in ~/.config/jitskit/config.toml so it compacts sooner",
        )
    if "model" in lowered:
        return Fault(
            "fatal",
            f"the API rejected model {model!r} for the {role} ({detail})",
            f"set loop.models.{role} in the spec to a model that supports this request",
        )
    return Fault(
        "fatal",
        f"the API rejected the {role}'s request ({detail})",
        "if the message names a setting (thinking, max tokens), change it in "
        "~/.config/jitskit/config.toml; otherwise report it as a bug",
    )


def backoff_s(attempt: int, fault: Fault, settings: RetrySettings) -> float:
    """The wait before retry number ``attempt`` (1 for the first retry)."""
    if fault.retry_after_s is not None:
        wait = min(fault.retry_after_s, settings.max_retry_after_s)
        return wait + random.uniform(0, min(1.0, 0.1 * wait))
    ceiling = min(settings.max_delay_s, settings.base_delay_s * 2.0 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)
