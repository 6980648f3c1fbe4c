"""The model-driven agent: planner, coder, critic and auditor over the Anthropic Messages
API, through the official SDK (async, streaming).

`make_anthropic_agent(spec)` is what `make_agent("anthropic", spec)` calls. The key comes
from `ANTHROPIC_API_KEY` or the user config (`~/.config/jitskit/config.toml`, outside every
workspace), the endpoint from `ANTHROPIC_BASE_URL` or the config, and each role's model
from the spec's `loop.models`.
"""

from __future__ import annotations

from jitskit_tui.agents.anthropic.agent import AnthropicAgent
from jitskit_tui.agents.anthropic.pricing import PriceTable
from jitskit_tui.config import ConfigError, api_key, config_path, load_user_config
from jitskit_tui.spec.model import SpecCard

__all__ = ["AnthropicAgent", "make_anthropic_agent"]


def make_anthropic_agent(spec: SpecCard) -> AnthropicAgent:
    """The anthropic agent for a run of ``spec``; raises ``AgentUnavailable`` (with what
    to do) when there is no key or the user config is broken."""
    from jitskit_tui.agents import AgentUnavailable

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
    return AnthropicAgent(
        spec, api_key=key, settings=config.anthropic, prices=PriceTable(config.prices)
    )
