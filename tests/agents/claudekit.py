"""Helpers for the Claude Code agent's tests: `jitskit run --agent claude-code` as a user
runs it, the bundled CLI reaching the loopback Messages API server through
`ANTHROPIC_BASE_URL`, and scripted model turns written with Claude Code's tool names
(its own `Write`, `Read`, ... with absolute paths; the jitskit tools as
`mcp__jitskit__<name>`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from messages_server import JSON, Message, text, tool

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import Event

KEY = "sk-ant-claude-code-5f4e3d2c1b0a99887766"
JITSKIT = Path(sys.executable).with_name("jitskit")


def cli_env(tmp_path: Path, base_url: str) -> dict[str, str]:
    """The environment of a `jitskit` run: the key and the endpoint, and config and state
    folders of the test's own (the private homes go under ``tmp_path/state``)."""
    env = {**os.environ, "NO_COLOR": "1", "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": base_url}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env.pop("JITSKIT_CONFIG", None)
    return env


def run_argv(spec: Path, workspace: Path, *extra: str) -> list[str]:
    return [
        str(JITSKIT),
        "run",
        str(spec),
        "--headless",
        "--agent",
        "claude-code",
        "--no-baselines",
        "--workspace",
        str(workspace),
        *extra,
    ]


def jitskit_tool(name: str, arguments: JSON | None = None) -> JSON:
    return tool(f"mcp__jitskit__{name}", arguments or {})


def write(path: Path, content: str, say: str = "Writing the store.") -> Message:
    return Message([text(say), tool("Write", {"file_path": str(path), "content": content})])


def finish(summary: str = "Reference store with 16 ordered shards") -> Message:
    return Message([jitskit_tool("finish", {"summary": summary})])


class LiveRun:
    """`jitskit run --headless` in the background, and what a test does while it runs."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.workspace = Path(argv[argv.index("--workspace") + 1])
        self.env = env
        self.cwd = cwd
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def events(self) -> list[Event]:
        path = Workspace(self.workspace).events
        return read_events(path) if path.exists() else []

    def wait_for(self, predicate: Callable[[list[Event]], bool], limit_s: float = 120) -> None:
        deadline = time.monotonic() + limit_s
        while not predicate(self.events()):
            if self.proc.poll() is not None:
                raise AssertionError(f"the run ended early: {self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError("the run did not get there in time")
            time.sleep(0.05)

    def control(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(JITSKIT), "control", str(self.workspace), *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def finish(self, limit_s: float = 300) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=limit_s)
        return self.proc.returncode, out, err

    def output(self) -> str:
        self.proc.kill()
        out, err = self.proc.communicate(timeout=30)
        return (out[-3000:] + err[-3000:]).strip()


def processes_at_home(state: Path) -> list[str]:
    """The processes (bwrap and the CLI) whose HOME is a private home under ``state``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"HOME={state}".encode() in environ:
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found
