"""The user's configuration: `~/.config/jitskit/config.toml`, outside every workspace.

It holds what does not belong in a spec card or a run: the Anthropic API key (or the path
of a file holding it), the Messages API endpoint, how the model agents behave (thinking,
retries, context windows, tool rounds), overrides of the price table, the folder a
Slurm cluster's nodes share with this host, and the Claude Code CLI to run. Everything is
optional; the environment wins over the file for the key, the endpoint and the folder
(`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `JITSKIT_SLURM_STAGING`). `JITSKIT_CONFIG`
names another file.

```toml
[anthropic]
api_key_file = "~/.config/jitskit/anthropic.key"   # or api_key = "sk-ant-..."
thinking = "adaptive"                              # "off" (default), "adaptive", or a token budget
context_window = 200000                            # tokens, for models not listed below

[anthropic.retry]
attempts = 8

[anthropic.context_windows]
"claude-opus-5-5" = 1000000

[slurm]                                            # for --machine slurm://PARTITION
staging = "/shared/scratch/me/jitskit"             # a folder the cluster's nodes share

[claude_code]                                      # for --agent claude-code
cli = "~/.local/bin/claude"                        # default: the CLI bundled with the SDK

[prices."claude-opus-5-5"]                         # USD per million tokens
input = 5.0
output = 25.0
cache_read = 0.5
cache_write = 6.25
```
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

ThinkingSetting = Literal["off", "adaptive"] | int


class ConfigError(Exception):
    """The user config cannot be used (with the file, the key and what to do)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    """USD per million tokens for one model; cache prices default to the usual multiples
    of the input price (reads 0.1x, 5-minute writes 1.25x)."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_read: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)


class RetrySettings(_Strict):
    """How a failed request is retried (rate limits, overload, server errors, drops)."""

    attempts: int = Field(default=8, ge=1, le=50)
    """Tries per request, the first included."""
    base_delay_s: float = Field(default=1.0, ge=0)
    """The first backoff; doubled at each retry, with jitter."""
    max_delay_s: float = Field(default=60.0, ge=0)
    """The longest backoff (a `retry-after` from the server is honoured beyond it)."""
    max_retry_after_s: float = Field(default=600.0, ge=0)
    """A `retry-after` longer than this is cut to it."""


class AnthropicSettings(_Strict):
    """How the model agents call the Messages API."""

    api_key: SecretStr | None = None
    """The key itself (prefer `api_key_file`, or `ANTHROPIC_API_KEY`)."""
    api_key_file: Path | None = None
    """A file whose first line is the key (`~` is expanded)."""
    base_url: str | None = None
    """The Messages API endpoint; `ANTHROPIC_BASE_URL` wins over it."""
    timeout_s: float = Field(default=600.0, gt=0)
    """How long a request may go without a byte from the server."""
    thinking: ThinkingSetting = "off"
    """Extended thinking: off, adaptive, or a budget of thinking tokens per response."""
    context_window: int = Field(default=200_000, ge=1000)
    """Tokens in a model's context window, for models not in `context_windows`."""
    context_windows: dict[str, int] = Field(default_factory=dict)
    compact_at: float = Field(default=0.6, gt=0.05, le=0.95)
    """Compact a conversation when its input reaches this share of the window."""
    keep_turns: int = Field(default=2, ge=1, le=20)
    """Model turns kept verbatim when a conversation is compacted."""
    max_tool_rounds: int = Field(default=60, ge=1, le=1000)
    """Tool rounds in one coder or auditor turn before it is ended."""
    max_output_tokens: dict[str, int] = Field(default_factory=dict)
    """Per role (`planner`, `coder`, `critic`, `auditor`); defaults are the agent's."""
    retry: RetrySettings = Field(default_factory=RetrySettings)

    def window_for(self, model: str) -> int:
        return self.context_windows.get(model, self.context_window)


class SlurmSettings(_Strict):
    """How evaluations use a Slurm cluster (`--machine slurm://PARTITION`)."""

    staging: Path | None = None
    """A folder this host and the cluster's nodes see at the same path (a shared home or
    scratch filesystem): each evaluation's files go there. `JITSKIT_SLURM_STAGING` wins;
    the default is `~/.cache/jitskit/slurm`, shared wherever home directories are."""


class ClaudeCodeSettings(_Strict):
    """The Claude Code agent (`--agent claude-code`); it calls the API as `[anthropic]`
    says (key, endpoint, thinking, retries, tool rounds)."""

    cli: Path | None = None
    """The Claude Code CLI to run (`--claude-cli` wins); default the one bundled with
    the claude-agent-sdk package."""


class UserConfig(_Strict):
    anthropic: AnthropicSettings = Field(default_factory=AnthropicSettings)
    slurm: SlurmSettings = Field(default_factory=SlurmSettings)
    claude_code: ClaudeCodeSettings = Field(default_factory=ClaudeCodeSettings)
    prices: dict[str, Price] = Field(default_factory=dict)
    """Per model name: overrides the built-in price table."""


def config_path() -> Path:
    """`$JITSKIT_CONFIG`, else `$XDG_CONFIG_HOME/jitskit/config.toml` (`~/.config` when
    unset)."""
    explicit = os.environ.get("JITSKIT_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "jitskit" / "config.toml"


def load_user_config(path: Path | None = None) -> UserConfig:
    """The user config (defaults when the file does not exist)."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return UserConfig()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}; fix the file or move it away") from None
    try:
        return UserConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise ConfigError(
            f"{path}: {where}: {first['msg']}; see `jitskit_tui/config.py` for the keys"
        ) from None


def api_key(settings: AnthropicSettings, path: Path | None = None) -> str | None:
    """The Anthropic API key: `ANTHROPIC_API_KEY`, else the config's `api_key_file`, else
    its `api_key`; ``None`` when none is set."""
    from_env = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if from_env:
        return from_env
    if settings.api_key_file is not None:
        key_file = settings.api_key_file.expanduser()
        try:
            lines = key_file.read_text().strip().splitlines()
        except OSError as exc:
            where = path or config_path()
            raise ConfigError(
                f"{where}: anthropic.api_key_file {key_file}: cannot read it ({exc.strerror}); "
                "fix the path or set ANTHROPIC_API_KEY"
            ) from None
        if lines and lines[0].strip():
            return lines[0].strip()
    if settings.api_key is not None and settings.api_key.get_secret_value().strip():
        return settings.api_key.get_secret_value().strip()
    return None


def api_key_configured() -> bool:
    """Whether a key is set in the environment or the user config (for the default agent)."""
    try:
        return api_key(load_user_config().anthropic) is not None
    except ConfigError:
        return bool(os.environ.get("ANTHROPIC_API_KEY", "").strip())
