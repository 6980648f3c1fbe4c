"""Helpers for the engine tests: the tiny card, the test trajectory, engines and processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from jitskit_tui.agents.registry import make_agent
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import Event
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec

HERE = Path(__file__).resolve().parent
TINY = HERE / "tiny.yaml"
LONG = HERE / "long.yaml"
TRAJECTORY = HERE / "trajectory"
JITSKIT = Path(sys.executable).with_name("jitskit")


def new_workspace(tmp_path: Path, spec: Path = TINY, name: str = "run") -> Workspace:
    return create_workspace(load_spec(spec), spec, tmp_path / name)


def open_engine(ws: Workspace, *, iterations: int | None = None, seed: int = 7) -> Engine:
    spec = load_spec(ws.spec_file)
    agent = make_agent("scripted", spec, {"pace": "instant", "trajectory": str(TRAJECTORY)})
    options = EngineOptions(iterations=iterations, seed=seed, control_poll_s=0.05)
    return Engine(ws, agent, LocalMachine(), options)


def cli_env(scratch: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("ANTHROPIC_API_KEY", None)
    if scratch is not None:
        env["JITSKIT_SCRATCH"] = str(scratch)
    return env


def run_cli(
    *args: str, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(JITSKIT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or cli_env(),
        cwd=HERE,
    )


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(JITSKIT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or cli_env(),
        cwd=HERE,
    )


def headless_args(ws_dir: Path, spec: Path = TINY, *extra: str) -> list[str]:
    return [
        "run",
        str(spec),
        "--headless",
        "--agent",
        "scripted",
        "--pace",
        "instant",
        "--trajectory",
        str(TRAJECTORY),
        "--no-baselines",
        "--seed",
        "7",
        "--workspace",
        str(ws_dir),
        *extra,
    ]


def wait_for_event(
    events: Path, predicate: Callable[[Event], bool], timeout: float = 120.0
) -> Event:
    """Polls a run's log until an event matches (the run lives in another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if events.is_file():
            for event in read_events(events):
                if predicate(event):
                    return event
        time.sleep(0.1)
    raise AssertionError(f"no matching event in {events} within {timeout}s")


async def wait_until(predicate: Callable[[], bool], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def descendants(pid: int) -> dict[int, str]:
    """Live descendants of ``pid``: pid -> command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            try:
                cmd = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            found[child] = cmd.decode(errors="replace").strip()
            stack.append(child)
    return found


def start_time(pid: int) -> str | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def alive(pid: int, started: str | None) -> bool:
    """Whether the process that had ``pid`` and start time ``started`` still runs
    (a zombie does not: it only waits to be collected)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return stat[19] == started and stat[0] != "Z"


def kill9(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
