"""Logs: the build, gate and benchmark output of the selected iteration.

Read from the workspace's `.jitskit/logs/iteration-N/` (every evaluation, the coder's
build_and_test runs included) or, when that is gone (a clone), from the result committed
with the iteration.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Log, OptionList, Static
from textual.widgets.option_list import Option

from jitskit_tui.engine.workspace import Workspace

MAX_LOG_CHARS = 400_000
_ORDER = ("build", "integrity", "api", "concurrency", "durability", "memory", "canary", "benchmark")


@dataclass(frozen=True)
class LogFile:
    name: str
    text: str


def _rank(name: str) -> tuple[int, int, str]:
    purpose, _, step = name.partition("-")
    tool = 1 if purpose == "tool" else 0
    position = next((i for i, s in enumerate(_ORDER) if step.startswith(s)), len(_ORDER))
    return tool, position, name


def read_logs(ws: Workspace, iteration: int, commit: str) -> list[LogFile]:
    """Blocking: the iteration's logs, the loop's evaluation first, then the coder's."""
    folder = ws.logs / f"iteration-{iteration}"
    found: list[LogFile] = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.log"), key=lambda p: _rank(p.stem)):
            found.append(LogFile(path.stem, _tail(path)))
    if found or not commit:
        return found
    from jitskit_tui.engine import gitrepo  # GitPython: only for a workspace without logs

    text = gitrepo.show_file(ws, commit, f"results/iteration-{iteration}.json")
    if text is None:
        return found
    try:
        logs = json.loads(text).get("result", {}).get("logs", {})
    except (ValueError, AttributeError):
        return found
    return [LogFile(f"iteration-{step}", str(body)) for step, body in sorted(logs.items())]


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace")
    if len(text) <= MAX_LOG_CHARS:
        return text
    return f"… ({len(text) - MAX_LOG_CHARS:,} characters before)\n" + text[-MAX_LOG_CHARS:]


class LogsPane(Vertical):
    """The list of the iteration's logs beside the chosen one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._files: list[LogFile] = []
        self._key: tuple[str, int, str] | None = None
        self._asked: tuple[Workspace, int | None, str] | None = None
        self._composed = False

    def compose(self) -> ComposeResult:
        yield Static(Content("Logs"), id="logs-title", classes="pane-title")
        with Horizontal(id="logs-body"):
            yield OptionList(id="log-files")
            yield Log(id="log-text", highlight=False, auto_scroll=False)

    def on_mount(self) -> None:
        self._composed = True
        if self._asked is not None:
            self.show_iteration(*self._asked)

    def show_iteration(self, ws: Workspace, iteration: int | None, commit: str) -> None:
        """Shows the logs of ``iteration`` (once the pane is composed, if it is not yet)."""
        if not self._composed:  # built after the dashboard's first frame: on_mount shows it
            self._asked = (ws, iteration, commit)
            return
        if iteration is None:
            self._set_message("No iteration selected.")
            return
        key = (ws.root.as_posix(), iteration, commit)
        if key == self._key:
            return
        self._key = key
        self._load(ws, iteration, commit)

    def reload(self) -> None:
        self._key = None

    def _set_message(self, text: str) -> None:
        self._files = []
        self.query_one("#log-files", OptionList).clear_options()
        log = self.query_one("#log-text", Log)
        log.clear()
        log.write_line(text)
        self.query_one("#logs-title", Static).update(Content("Logs"))

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def _load(self, ws: Workspace, iteration: int, commit: str) -> None:
        try:
            files = await asyncio.to_thread(read_logs, ws, iteration, commit)
        except Exception as exc:  # a deleted workspace: say so
            self._set_message(f"The logs of iteration {iteration} cannot be read: {exc}")
            return
        if not files:
            self._set_message(
                f"Iteration {iteration} has no logs yet (they are written as each step ends)."
            )
            return
        self._files = files
        box = self.query_one("#log-files", OptionList)
        box.clear_options()
        box.add_options(Option(Content(f.name)) for f in files)
        box.highlighted = 0
        self.query_one("#logs-title", Static).update(
            Content(f"Logs of iteration {iteration} · {len(files)} files")
        )
        self._show(0)

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self._files):
            return
        log = self.query_one("#log-text", Log)
        log.clear()
        log.write(self._files[index].text or "(empty)")
        log.scroll_home(animate=False)

    @on(OptionList.OptionHighlighted, "#log-files")
    def _chosen(self, event: OptionList.OptionHighlighted) -> None:
        self._show(event.option_index)
