"""What the CLI's reports of failed requests mean for the run.

Claude Code retries failed requests itself (rate limits, overload, server errors, dropped
streams; `CLAUDE_CODE_MAX_RETRIES` times) and says so with an `api_retry` message, which
becomes a retry event. It also retries a refused key (401) and a refusal of access (403):
those cannot get better, so the turn is ended at the first one and the run stops with the
fix. When it gives up, its last word is a synthetic assistant message with an error kind
and a result with the HTTP status: a bad model, a bad request or billing stop the run;
an outage ends the iteration's turn (the loop goes on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["fatal", "unavailable"]

KEY_HINT = (
    "set a valid key in ANTHROPIC_API_KEY or in ~/.config/jitskit/config.toml "
    "(anthropic.api_key_file), or run with --agent scripted"
)
LOGIN_HINT = (
    "log in again with `claude` (jitskit shows your Claude Code login read-only and never "
    "refreshes it), or set ANTHROPIC_API_KEY"
)


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    reason: str
    next_step: str = ""


def retry_fault(status: int | None, *, role: str, model: str, login: bool) -> Fault | None:
    """A fault that must end the turn now although the CLI would retry it."""
    if status == 401:
        if login:
            return Fault(
                "fatal", "the Anthropic API refused the Claude Code login (401)", LOGIN_HINT
            )
        return Fault("fatal", "the Anthropic API refused the key (401)", KEY_HINT)
    if status == 403:
        return Fault(
            "fatal",
            f"the credentials may not use {model} for the {role} (403)",
            f"give them access to {model}, or set loop.models.{role} in the spec to a model "
            "they may use",
        )
    return None


def retry_reason(status: int | None, kind: str) -> str:
    """One line for a retry event, from the CLI's `api_retry` fields."""
    words = {
        "rate_limit": "rate limited",
        "overloaded": "the API is overloaded",
        "server_error": "the server failed",
        "unknown": "the connection or stream broke off",
    }.get(kind, kind.replace("_", " ") or "the request failed")
    return f"{words} ({status})" if status else words


def final_fault(
    error: str, status: int | None, said: str, *, role: str, model: str, login: bool
) -> Fault:
    """The fault behind the CLI's last, synthetic message of a turn that failed."""
    detail = " ".join(said.split())[:300]
    early = retry_fault(status, role=role, model=model, login=login)
    if early is not None:
        return early
    if error == "authentication_failed":
        return retry_fault(401, role=role, model=model, login=login) or Fault("fatal", detail)
    if error == "model_not_found" or status == 404:
        return Fault(
            "fatal",
            f"model {model!r} (the {role}'s) is unknown to the API or not allowed: {detail}",
            f"set loop.models.{role} in the spec to a current model name",
        )
    if error == "billing_error" or status == 402:
        return Fault(
            "fatal",
            f"the API needs payment for these credentials: {detail}",
            "check the account's billing, or run with --agent scripted",
        )
    if error == "invalid_request" or (status is not None and 400 <= status < 500 and status != 429):
        return Fault(
            "fatal",
            f"the API rejected the {role}'s request: {detail}",
            "if the message names a setting (thinking, max tokens), change it in "
            "~/.config/jitskit/config.toml; otherwise report it as a bug",
        )
    return Fault(
        "unavailable",
        f"the Messages API kept failing ({detail or error}) after Claude Code's retries; "
        "the loop goes on with the next iteration",
    )
