"""The model-driven agent: planner, coder, critic and auditor over the Anthropic Messages
API, through the official SDK (async, streaming).

`make_agent(spec, options)` is what the registry calls. The key comes from
`ANTHROPIC_API_KEY` or the user config (`~/.config/jitskit/config.toml`, outside every
workspace), the endpoint from `ANTHROPIC_BASE_URL` or the config, and each role's model
from the spec's `loop.models`. This module stays light (the SDK is imported only when
the agent is made), so asking whether the backend is available costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from jitskit_tui.config import ConfigError, UserConfig, api_key, config_path, load_user_config
from jitskit_tui.protocol.agent import AgentUnavailable
from jitskit_tui.spec.model import SpecCard

if TYPE_CHECKING:
    from jitskit_tui.agents.anthropic.agent import AnthropicAgent


def _config_and_key() -> tuple[UserConfig, str]:
    try:
        config = load_user_config()
        key = api_key(config.anthropic)
    except ConfigError as exc:
        raise AgentUnavailable(str(exc)) from None
    if key is None:
        raise AgentUnavailable(
            "no Anthropic API key: set ANTHROPIC_API_KEY, or anthropic.api_key_file in "
            f"{config_path()}; or run with --agent scripted (offline)"
        )
    return config, key


def unavailable() -> str | None:
    """Why the agent cannot run here (no key, a broken user config), or ``None``."""
    try:
        _config_and_key()
    except AgentUnavailable as exc:
        return str(exc)
    return None


def make_agent(spec: SpecCard, options: Mapping[str, str]) -> AnthropicAgent:
    """The anthropic agent for a run of ``spec``; raises ``AgentUnavailable`` (with what
    to do) when there is no key or the user config is broken."""
    from jitskit_tui.agents.anthropic.agent import AnthropicAgent
    from jitskit_tui.agents.anthropic.pricing import PriceTable

    config, key = _config_and_key()
    return AnthropicAgent(
        spec, api_key=key, settings=config.anthropic, prices=PriceTable(config.prices)
    )
