"""The Claude Code agent: the four roles played by the Claude Code CLI, driven through the
official `claude-agent-sdk` (`ClaudeSDKClient`, streaming input), each role's prompt
appended to Claude Code's own.

Claude Code runs on the host, so its powers are cut in two layers: a `PreToolUse` hook
allows only its file tools on the role's folders and the jitskit tools (:mod:`.policy`,
:mod:`.gate`), and the CLI runs under bubblewrap with only those folders in sight
(:mod:`.jail`), in a private home outside the workspace (:mod:`.home`).
"""

from __future__ import annotations

import os
from pathlib import Path

from jitskit_tui.agents.anthropic.pricing import CostReporter, PriceTable
from jitskit_tui.agents.claude_code.agent import ClaudeCodeAgent
from jitskit_tui.agents.claude_code.cli import find_cli
from jitskit_tui.agents.claude_code.jail import check_bwrap
from jitskit_tui.agents.claude_code.turn import ClaudeRunner, Credentials
from jitskit_tui.config import ConfigError, api_key, load_user_config
from jitskit_tui.protocol.agent import AgentUnavailable
from jitskit_tui.spec.model import SpecCard

__all__ = ["ClaudeCodeAgent", "make_claude_code_agent"]


def login_file() -> Path | None:
    """The user's Claude Code login (a credentials file), when there is one; jitskit
    only shows it to the CLI, read-only, and never reads it."""
    base = os.environ.get("CLAUDE_CONFIG_DIR") or str(Path.home() / ".claude")
    path = Path(base).expanduser() / ".credentials.json"
    return path if path.is_file() else None


def make_claude_code_agent(spec: SpecCard, cli: Path | None = None) -> ClaudeCodeAgent:
    """The Claude Code agent for a run of ``spec``; raises ``AgentUnavailable`` (with what
    to do) when the CLI, bubblewrap or credentials are missing."""
    try:
        config = load_user_config()
        key = api_key(config.anthropic)
    except ConfigError as exc:
        raise AgentUnavailable(str(exc)) from None
    login = None if key else login_file()
    if key is None and login is None:
        raise AgentUnavailable(
            "Claude Code needs an Anthropic API key or a Claude Code login: set "
            "ANTHROPIC_API_KEY (or anthropic.api_key_file in ~/.config/jitskit/config.toml), "
            "or log in once with `claude`; or run with --agent scripted (offline)"
        )
    found = find_cli(cli or config.claude_code.cli)
    check_bwrap()
    base_url = os.environ.get("ANTHROPIC_BASE_URL") or config.anthropic.base_url
    runner = ClaudeRunner(
        found,
        Credentials(api_key=key, base_url=base_url, login=login),
        config.anthropic,
        CostReporter(PriceTable(config.prices)),
    )
    return ClaudeCodeAgent(spec, runner)
