"""One role's turn: a Claude Code CLI in its jail, driven through `ClaudeSDKClient` with
streaming input, until its result.

Every turn is its own CLI process (started in about half a second): nothing of Claude
Code runs between turns, a role's conversation continues by resuming its session (see
:mod:`.threads`), and a fork or a crash needs no process to be found and stopped. The
prompt goes in verbatim (no `@file` expansion, no slash commands); the role's system
prompt is appended to Claude Code's own. When the turn is cancelled (abort), the CLI is
interrupted and the process ended before the cancellation goes on, so no `claude`
process outlives the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ClaudeSDKError,
    PermissionResultDeny,
    ResultMessage,
    ThinkingConfig,
    ThinkingConfigAdaptive,
    ThinkingConfigDisabled,
    ThinkingConfigEnabled,
)

from jitskit_tui.agents.anthropic.client import ModelUnavailable, Redactor
from jitskit_tui.agents.anthropic.pricing import CostReporter
from jitskit_tui.agents.claude_code.cli import ClaudeCli
from jitskit_tui.agents.claude_code.faults import Fault, final_fault, retry_fault
from jitskit_tui.agents.claude_code.gate import ToolGate
from jitskit_tui.agents.claude_code.home import PrivateHome
from jitskit_tui.agents.claude_code.jail import JailView, write_launcher
from jitskit_tui.agents.claude_code.mcp_tools import jitskit_server
from jitskit_tui.agents.claude_code.policy import FILE_TOOLS, MCP_SERVER, Folders
from jitskit_tui.agents.claude_code.relay import TurnRelay
from jitskit_tui.agents.claude_code.threads import ThreadPoint
from jitskit_tui.config import AnthropicSettings
from jitskit_tui.protocol.agent import AgentFatalError, AgentSink
from jitskit_tui.protocol.events import Role
from jitskit_tui.protocol.tools import Tools

STDERR_LINES = 40
CLOSE_TIMEOUT_S = 20.0
QUIET = {
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_UPDATES": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY": "1",
    "CLAUDE_CODE_DISABLE_AUTO_MEMORY": "1",
    "CLAUDE_CODE_DISABLE_BACKGROUND_TASKS": "1",
    "CLAUDE_CODE_DISABLE_TERMINAL_TITLE": "1",
    "ENABLE_TOOL_SEARCH": "false",
}
"""No update checks, telemetry, error reports, surveys, titles or memory files: the only
connections the CLI makes are to the Messages API (checked with strace on 2.1.337)."""


class SessionLost(Exception):
    """The session a turn was to resume cannot be loaded (its files are gone)."""


@dataclass(frozen=True)
class TurnSetup:
    role: Role
    home: PrivateHome
    """The run's private home (config, sessions, launchers)."""
    model: str
    system: str
    """Appended to Claude Code's system prompt: the role's prompt, the spec, the header."""
    folders: Folders | None = None
    """The role's folders; ``None`` for a role without file tools."""
    tools: Tools | None = None
    resume: ThreadPoint | None = None
    """Continue the conversation from this point (forked)."""


@dataclass(frozen=True)
class TurnOutcome:
    text: str
    """The turn's last words."""
    point: ThreadPoint | None
    """Where the conversation stands after the turn (to resume it)."""
    stopped: str = ""
    """Why the turn was ended before its end (a budget cap, the tool-round limit)."""


@dataclass(frozen=True)
class Credentials:
    api_key: str | None
    base_url: str | None
    login: Path | None
    """The user's Claude Code login, shown read-only when there is no key."""


class ClaudeRunner:
    """Runs the turns of one run's roles."""

    def __init__(
        self,
        cli: ClaudeCli,
        credentials: Credentials,
        settings: AnthropicSettings,
        costs: CostReporter,
    ) -> None:
        self.cli = cli
        self.credentials = credentials
        self.settings = settings
        self.costs = costs
        self.redact = Redactor(credentials.api_key or "")

    def _environment(self, home: PrivateHome) -> dict[str, str]:
        env = {
            "HOME": str(home.home),
            "CLAUDE_CONFIG_DIR": str(home.config),
            "PATH": "/usr/bin:/bin",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "CLAUDE_CODE_MAX_RETRIES": str(max(0, self.settings.retry.attempts - 1)),
            "API_TIMEOUT_MS": str(int(self.settings.timeout_s * 1000)),
            **QUIET,
        }
        if self.credentials.api_key:
            env["ANTHROPIC_API_KEY"] = self.credentials.api_key
        if self.credentials.base_url:
            env["ANTHROPIC_BASE_URL"] = self.credentials.base_url
        return env

    def _thinking(self) -> ThinkingConfig:
        """`anthropic.thinking` of the user config, as Claude Code takes it."""
        setting = self.settings.thinking
        if setting == "off":
            return ThinkingConfigDisabled(type="disabled")
        if setting == "adaptive":
            return ThinkingConfigAdaptive(type="adaptive", display="summarized")
        return ThinkingConfigEnabled(
            type="enabled", budget_tokens=int(setting), display="summarized"
        )

    def _options(self, setup: TurnSetup, gate: ToolGate, stderr: deque[str]) -> ClaudeAgentOptions:
        env = self._environment(setup.home)
        folders = gate.folders
        view = JailView(
            cwd=folders.cwd,
            writable=folders.writable,
            readable=tuple(p for p in folders.readable if p not in folders.writable),
            login=self.credentials.login if not self.credentials.api_key else None,
            variables=tuple(env),
        )
        launcher = write_launcher(setup.role, self.cli.path, setup.home, view)
        servers: dict[str, Any] = {}
        if setup.tools is not None:
            servers[MCP_SERVER] = jitskit_server(setup.tools, gate)
        resume = setup.resume
        return ClaudeAgentOptions(
            cli_path=launcher,
            cwd=str(folders.cwd),
            env=env,
            model=setup.model,
            system_prompt={"type": "preset", "preset": "claude_code", "append": setup.system},
            tools=list(FILE_TOOLS) if setup.folders is not None else [],
            mcp_servers=servers,
            strict_mcp_config=True,
            setting_sources=[],
            hooks=gate.hooks(),
            can_use_tool=_ask_nobody,
            include_partial_messages=True,
            verbatim_prompts=True,
            max_turns=self.settings.max_tool_rounds,
            thinking=self._thinking(),
            stderr=stderr.append,
            resume=resume.session_id if resume else None,
            resume_session_at=resume.uuid if resume else None,
            fork_session=resume is not None,
        )

    async def run(self, setup: TurnSetup, prompt: str, sink: AgentSink) -> TurnOutcome:
        """Runs one turn (ended at the next tool boundary once a budget cap is reached)."""
        setup.home.ensure()
        folders = setup.folders or Folders(setup.home.scratch, (), ())
        gate = ToolGate(setup.role, setup.tools, folders, sink)
        fatal: list[Fault] = []
        login = self.credentials.api_key is None

        def on_retry(status: int | None) -> None:
            fault = retry_fault(status, role=setup.role, model=setup.model, login=login)
            if fault is not None:
                fatal.append(fault)

        relay = TurnRelay(sink, self.costs, setup.model, on_retry, estimated=login)
        stderr: deque[str] = deque(maxlen=STDERR_LINES)
        client = ClaudeSDKClient(self._options(setup, gate, stderr))
        finished = False
        try:
            await client.connect()
            await client.query(prompt)
            async for message in client.receive_messages():
                relay.feed(message)
                await gate.settle(message, relay.tool_calls)
                if fatal:
                    break
                if isinstance(message, ResultMessage):
                    finished = True
                    break
        except ClaudeSDKError as exc:
            if setup.resume is not None and not relay.session_id:
                raise SessionLost(self.redact(" ".join(stderr) or str(exc))) from None
            raise self._broken(setup, exc, stderr) from None
        finally:
            await self._close(client, interrupt=not finished)
        if fatal:
            raise self._raise(fatal[0])
        if relay.failure is not None:
            result = relay.result
            status = result.api_error_status if result is not None else None
            error, said = relay.failure
            raise self._raise(
                final_fault(error, status, said, role=setup.role, model=setup.model, login=login)
            )
        point = None
        if relay.session_id and relay.last_uuid:
            point = ThreadPoint(relay.session_id, relay.last_uuid)
        return TurnOutcome(relay.last_text, point, gate.stopped or _cut_short(relay.result))

    def _raise(self, fault: Fault) -> Exception:
        if fault.kind == "fatal":
            return AgentFatalError(self.redact(fault.reason), self.redact(fault.next_step))
        return ModelUnavailable(self.redact(fault.reason))

    def _broken(self, setup: TurnSetup, exc: Exception, stderr: deque[str]) -> AgentFatalError:
        said = self.redact(" | ".join(stderr)[-600:] or str(exc))
        return AgentFatalError(
            f"the {setup.role}'s Claude Code CLI ({self.cli.label()}) stopped: {said}",
            "check the CLI with `--claude-cli PATH` or `claude_code.cli` in "
            "~/.config/jitskit/config.toml, and that bubblewrap works here",
        )

    async def _close(self, client: ClaudeSDKClient, *, interrupt: bool) -> None:
        """Stops the CLI, also while the turn is being cancelled: the shutdown runs as its
        own task, so a second cancellation cannot leave the process behind."""

        async def shutdown() -> None:
            if interrupt:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.interrupt(), 5)
            with contextlib.suppress(Exception):
                await client.disconnect()

        task = asyncio.ensure_future(shutdown())
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT_S)
        except asyncio.CancelledError:
            await asyncio.wait_for(task, CLOSE_TIMEOUT_S)
            raise
        except TimeoutError:
            pass


async def _ask_nobody(name: str, arguments: dict[str, Any], context: Any) -> PermissionResultDeny:
    """A call no hook allowed would prompt a human; there is none: refuse it."""
    return PermissionResultDeny(message=f"{name} is not allowed in jitskit")


def _cut_short(result: ResultMessage | None) -> str:
    if result is None:
        return "the CLI ended the turn without a result"
    if result.subtype == "error_max_turns":
        return f"{result.num_turns} tool rounds, the most one turn may take"
    return ""
