"""The recorded run the replay, snapshot and benchmark tests show, and how to restore it.

`tests/tui/recorded/` holds a real run of `tests/tui/tiny.yaml` by the scripted agent
(`tests/tui/trajectory`, instant pace), with steering sent at both delivery points: its
event log, its logs, and its git history as a bundle. Restoring it gives a workspace
whose commits match the log's shas, so diffs and logs work as in the live run.

Regenerate it (after a deliberate change to the events) with
``.venv/bin/python tests/tui/recording.py``; then update the snapshots.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jitskit_tui.launch.choices import RunChoices

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from jitskit_tui.tui.run.feed import RunFeed

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"
TINY = HERE / "tiny.yaml"
TRAJECTORY = HERE / "trajectory"

FAST_RUNS = RunChoices(
    agent_options={"pace": "instant", "trajectory": str(TRAJECTORY)}, baselines=False
)
"""Start-dialog defaults for live runs in the tests: offline, instant, no baselines."""


async def resume_in_app(
    pilot: Pilot[Any], until: Callable[..., Awaitable[None]], *, iterations: str
) -> RunFeed:
    """R on the dashboard of a run that ended, the start dialog proposing ``iterations``
    in all, accepted: the resumed run's live feed."""
    from jitskit_tui.tui.app import JitskitApp
    from jitskit_tui.tui.screens.start_run import StartRunDialog

    app = pilot.app
    assert isinstance(app, JitskitApp)
    await pilot.press("R")
    await until(pilot, lambda: isinstance(app.screen, StartRunDialog), what="the dialog")
    assert app.screen.query_one("#iterations").value == iterations  # type: ignore[attr-defined]
    await pilot.press("ctrl+s")
    await until(
        pilot,
        lambda: any(feed.link.kind == "live" for feed in app.feeds.values()),
        what="the resumed run",
    )
    return next(feed for feed in app.feeds.values() if feed.link.kind == "live")


STEER_PLAN = "Keep the reference layout, but say in the plan what the shard count costs."
STEER_TOOL = "Run build_and_test before you finish, so the critic has a number to compare."


def restore(dest: Path, *, upto_seq: int | None = None, source: Path = RECORDED) -> Path:
    """The recorded run (``source``) as a workspace at ``dest`` (its log cut after
    ``upto_seq``)."""
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", "-b", "scratch")
    _git(dest, "fetch", "-q", str(source / "repo.bundle"), "+refs/heads/*:refs/heads/*")
    _git(dest, "checkout", "-q", "main")
    # What the engine's workspaces are configured with, so a resumed run can commit.
    _git(dest, "config", "user.name", "jitskit")
    _git(dest, "config", "user.email", "jitskit@localhost")
    _git(dest, "config", "commit.gpgsign", "false")
    state = dest / ".jitskit"
    shutil.copytree(source / "logs", state / "logs")
    (state / "control").mkdir()
    lines = (source / "events.jsonl").read_text().splitlines(keepends=True)
    if upto_seq is not None:
        lines = lines[:upto_seq]
    (state / "events.jsonl").write_text("".join(lines))
    return dest


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


async def _run(ws_root: Path) -> None:
    from jitskit_tui.agents.registry import make_agent
    from jitskit_tui.engine.loop import Engine, EngineOptions
    from jitskit_tui.engine.workspace import Workspace
    from jitskit_tui.protocol.controls import Steer
    from jitskit_tui.protocol.events import Delivery, Event, IterationStarted, ToolCallStarted
    from jitskit_tui.sandbox.local import LocalMachine
    from jitskit_tui.spec import load_spec

    ws = Workspace(ws_root)
    agent = make_agent(
        "scripted", load_spec(TINY), {"pace": "instant", "trajectory": str(TRAJECTORY)}
    )
    options = EngineOptions(seed=7, control_poll_s=0.05, agent_options={"pace": "instant"})
    engine = Engine(ws, agent, LocalMachine(), options)
    loop = asyncio.get_running_loop()
    sent: set[str] = set()

    def steer(text: str, at: Delivery) -> None:
        if at not in sent:
            sent.add(at)
            loop.call_soon(engine.handle_control, Steer(text=text, at=at, source="tui (recording)"))

    def listener(event: Event) -> None:
        if isinstance(event, ToolCallStarted) and event.iteration == 1:
            steer(STEER_PLAN, "next-iteration")
        if isinstance(event, IterationStarted) and event.iteration == 2:
            steer(STEER_TOOL, "next-tool")

    engine.log.subscribe(listener)
    finished = await engine.run()
    print(f"recorded: {finished.reason}")


def record(out: Path) -> None:
    from jitskit_tui.engine.setup import create_workspace
    from jitskit_tui.spec import load_spec

    with tempfile.TemporaryDirectory() as tmp:
        ws = create_workspace(load_spec(TINY), TINY, Path(tmp) / "tiny-recorded")
        asyncio.run(_run(ws.root))
        if out.exists():
            shutil.rmtree(out)
        bundle_run(ws.root, out)


def bundle_run(ws_root: Path, out: Path) -> None:
    """A finished run's git history (every ref), event log and logs, kept in ``out``."""
    from jitskit_tui.engine.workspace import Workspace

    ws = Workspace(ws_root)
    out.mkdir(parents=True)
    _git(ws.root, "bundle", "create", "-q", str(out / "repo.bundle"), "--all")
    shutil.copy(ws.events, out / "events.jsonl")
    shutil.copytree(ws.logs, out / "logs")


if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDED)
