"""The Claude Code agent: the four roles played by the Claude Code CLI, driven through the
official `claude-agent-sdk` (`ClaudeSDKClient`, streaming input), each role's prompt
appended to Claude Code's own.

Claude Code runs on the host, so its powers are cut in two layers: a `PreToolUse` hook
allows only its file tools on the role's folders and the jitskit tools (:mod:`.policy`,
:mod:`.gate`), and the CLI runs under bubblewrap with only those folders in sight
(:mod:`.jail`), in a private home outside the workspace (:mod:`.home`).

It calls the API with the `anthropic` agent's key and endpoint (`ANTHROPIC_API_KEY`,
`ANTHROPIC_BASE_URL` or the user config); with no key, with the user's own Claude Code
login, which the CLI sees read-only and jitskit never reads (dollars are then an
estimate: a subscription is not billed per token). This module stays light: the SDK is
imported only when the agent is made.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from jitskit_tui.config import ConfigError, UserConfig, api_key, config_path, load_user_config
from jitskit_tui.protocol.agent import AgentUnavailable
from jitskit_tui.spec.model import SpecCard

if TYPE_CHECKING:
    from jitskit_tui.agents.claude_code.agent import ClaudeCodeAgent

CLI_OPTION = "claude_cli"
"""The agent option naming the CLI to run (`--claude-cli PATH`)."""


def login_file() -> Path | None:
    """The user's Claude Code login (its credentials file), when there is one; it is only
    ever shown to the CLI, read-only, never read here."""
    base = os.environ.get("CLAUDE_CONFIG_DIR") or str(Path.home() / ".claude")
    path = Path(base).expanduser() / ".credentials.json"
    return path if path.is_file() else None


def _config_and_key() -> tuple[UserConfig, str | None, Path | None]:
    try:
        config = load_user_config()
        key = api_key(config.anthropic)
    except ConfigError as exc:
        raise AgentUnavailable(str(exc)) from None
    login = None if key else login_file()
    if key is None and login is None:
        raise AgentUnavailable(
            "Claude Code needs an Anthropic API key or a Claude Code login: set "
            f"ANTHROPIC_API_KEY (or anthropic.api_key_file in {config_path()}), or log in "
            "once with `claude`; or run with --agent scripted (offline)"
        )
    return config, key, login


def unavailable() -> str | None:
    """Why the agent cannot run here (no credentials, no CLI, no bubblewrap), or ``None``;
    cheap: the CLI is not started."""
    try:
        config, _, _ = _config_and_key()
    except AgentUnavailable as exc:
        return str(exc)
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`"
    from jitskit_tui.agents.claude_code.cli import INSTALL_HINT, bundled_cli

    named = config.claude_code.cli
    if named is None and bundled_cli() is None:
        return f"the claude-agent-sdk package is not installed; {INSTALL_HINT}"
    if named is not None and not named.expanduser().is_file():
        return f"no Claude Code CLI at {named} (claude_code.cli in {config_path()})"
    return None


def make_agent(spec: SpecCard, options: Mapping[str, str]) -> ClaudeCodeAgent:
    """The Claude Code agent for a run of ``spec`` (``options["claude_cli"]``: the CLI to
    run); raises ``AgentUnavailable`` with what to do when the credentials, the CLI (or
    its version) or bubblewrap are missing."""
    from jitskit_tui.agents.claude_code.cli import find_cli
    from jitskit_tui.agents.claude_code.jail import check_bwrap

    config, key, login = _config_and_key()
    named = options.get(CLI_OPTION)
    cli = find_cli(Path(named) if named else config.claude_code.cli)
    check_bwrap()
    # The SDKs load only once the CLI and the jail are known to work (a refusal is quick).
    from jitskit_tui.agents.anthropic.pricing import CostReporter, PriceTable
    from jitskit_tui.agents.claude_code.agent import ClaudeCodeAgent
    from jitskit_tui.agents.claude_code.turn import ClaudeRunner, Credentials

    base_url = os.environ.get("ANTHROPIC_BASE_URL") or config.anthropic.base_url
    runner = ClaudeRunner(
        cli,
        Credentials(api_key=key, base_url=base_url, login=login),
        config.anthropic,
        CostReporter(PriceTable(config.prices)),
    )
    return ClaudeCodeAgent(spec, runner)
