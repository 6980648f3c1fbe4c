"""The diff pane: which two iterations are compared, the changed files, and the diff.

The diff comes from the run's git workspace (GitPython, in a thread), for the selected
iteration against its parent, the best, or an iteration marked in the table. The file
list sits beside the diff on a wide terminal; on a narrow one the title names the file.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.tui.run.diffs import ParsedDiff, parse_unified
from jitskit_tui.tui.widgets.diff_view import DiffView, lexer_for

WARM_UP_AFTER_S = 1.5
_STATUS_MARK = {"modified": "M", "added": "A", "deleted": "D", "renamed": "R", "binary": "B"}


@dataclass(frozen=True)
class DiffTarget:
    """Iteration ``head`` against ``base`` (``None``: the run's first commit)."""

    head: int
    head_sha: str
    base_label: str
    base_sha: str | None

    @property
    def title(self) -> str:
        return f"iteration {self.head} against {self.base_label}"


def _file_rank(chunk: str) -> tuple[int, str]:
    path = chunk.split("\n", 1)[0].removeprefix("diff --git ").removeprefix("a/")
    return (0 if path.startswith("store/") else 1 if path.startswith("audit/") else 2), path


def load_diff(ws: Workspace, target: DiffTarget) -> ParsedDiff:
    """Blocking: runs git diff in the workspace and parses it, the store's files first
    (what the agent wrote), then the audit suite, then the rest (the whiteboard)."""
    from jitskit_tui.engine import gitrepo  # GitPython: loaded with the first diff

    base = target.base_sha or gitrepo.initial_sha(ws)
    text = gitrepo.diff(ws, base, target.head_sha)
    head, *chunks = text.split("\ndiff --git ")
    if chunks or head.startswith("diff --git "):
        first = head.removeprefix("diff --git ")
        files = sorted([first, *chunks], key=_file_rank)
        text = "\n".join("diff --git " + chunk for chunk in files)
    return parse_unified(text)


class DiffPane(Vertical):
    """Header, file list and diff; :meth:`show` loads a target in the background."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cache: dict[tuple[str, str | None, str], ParsedDiff] = {}
        self.target: DiffTarget | None = None
        self.load_seconds = 0.0
        self._composed = False
        self._asked: tuple[Workspace, DiffTarget] | str | None = None
        """What was asked before the pane was composed (it is built after the dashboard's
        first frame): shown on mount."""

    def compose(self) -> ComposeResult:
        yield Static(id="diff-title", classes="pane-title")
        with Horizontal(id="diff-body"):
            yield OptionList(id="diff-files")
            yield DiffView(id="diff-view")
        yield Static(id="diff-message", classes="pane-message")

    def on_mount(self) -> None:
        self._composed = True
        asked, self._asked = self._asked, None
        if isinstance(asked, str):
            self.show_message(asked)
        elif asked is not None:
            self.show(*asked)
        # After the first screens are drawn: it would only slow the start down.
        self.set_timer(WARM_UP_AFTER_S, self._warm_up)

    @work(thread=True, group="diff-warm-up", exit_on_error=False)
    def _warm_up(self) -> None:
        """Loads the C++ lexer (Pygments builds it on first use, ~0.2 s) before the first
        diff is asked for."""
        lexer_for("store/store.cc")

    @property
    def view(self) -> DiffView:
        return self.query_one(DiffView)

    @property
    def ready(self) -> bool:
        """Composed: there is a diff view to act on (the pane is built after the first
        frame, and its keys may come the moment it is)."""
        return bool(self.query(DiffView))

    # -- the dashboard's diff keys, whichever widget has the focus ----------------------

    def toggle_split(self) -> None:
        """Unified or side by side."""
        self.view.split = not self.view.split
        self.show_title()

    def next_hunk(self, step: int) -> None:
        if step > 0:
            self.view.action_next_hunk()
        else:
            self.view.action_previous_hunk()

    def next_file(self, step: int) -> None:
        if step > 0:
            self.view.action_next_file()
        else:
            self.view.action_previous_file()

    def show_message(self, text: str) -> None:
        """No diff to show, and why."""
        self.target = None
        if not self._composed:
            self._asked = text
            return
        self.query_one("#diff-title", Static).update(Content("Diff"))
        message = self.query_one("#diff-message", Static)
        message.update(Content(text))
        message.display = True
        self.query_one("#diff-body").display = False

    def show(self, ws: Workspace, target: DiffTarget) -> None:
        """Loads and shows ``target`` in the background."""
        if not self._composed:
            self._asked = (ws, target)
            return
        if target == self.target and self.view.parsed is not None:
            return
        self.target = target
        self.query_one("#diff-title", Static).update(Content(f"{target.title} · loading…"))
        self._load(ws, target)

    @work(exclusive=True, group="diff", exit_on_error=False)
    async def _load(self, ws: Workspace, target: DiffTarget) -> None:
        started = time.perf_counter()
        key = (ws.root.as_posix(), target.base_sha, target.head_sha)
        parsed = self._cache.get(key)
        if parsed is None:
            try:
                parsed = await asyncio.to_thread(load_diff, ws, target)
            except Exception as exc:  # a missing or damaged workspace: say so, stay up
                self.show_message(f"{target.title}: the diff cannot be made: {exc}")
                return
            if len(self._cache) > 16:
                self._cache.clear()
            self._cache[key] = parsed
        if target != self.target:
            return
        self._present(target, parsed)
        self.load_seconds = time.perf_counter() - started

    def _present(self, target: DiffTarget, parsed: ParsedDiff) -> None:
        files = self.query_one("#diff-files", OptionList)
        files.clear_options()
        files.add_options(
            Option(
                Content.from_markup(
                    "[$text-muted]$mark[/] $path [$text-success]+$added[/] "
                    "[$text-error]-$removed[/]",
                    mark=_STATUS_MARK[f.status],
                    path=f.path,
                    added=str(f.added),
                    removed=str(f.removed),
                )
            )
            for f in parsed.files
        )
        self.view.show(parsed)
        self.show_title()
        message = self.query_one("#diff-message", Static)
        if not parsed.files:
            message.update(Content(f"{target.title}: no changes (outside results/)."))
        message.display = not parsed.files
        self.query_one("#diff-body").display = bool(parsed.files)

    @on(OptionList.OptionSelected, "#diff-files")
    def _file_chosen(self, event: OptionList.OptionSelected) -> None:
        parsed = self.view.parsed
        if parsed is not None and event.option_index < len(parsed.files):
            self.view.scroll_to_source(parsed.files[event.option_index].first_row)
            self.view.focus()

    @on(DiffView.FileChanged)
    def _file_on_top(self, event: DiffView.FileChanged) -> None:
        files = self.query_one("#diff-files", OptionList)
        if event.index < files.option_count:
            files.highlighted = event.index

    def show_title(self) -> None:
        """``iteration 3 against its parent (iteration 2) · 2 files +40 -3 · unified``"""
        parsed, target = self.view.parsed, self.target
        if parsed is None or target is None:
            return
        count = len(parsed.files)
        summary = f"{count} file{'s' if count != 1 else ''} +{parsed.added} -{parsed.removed}"
        mode = "side by side" if self.view.split else "unified"
        self.query_one("#diff-title", Static).update(
            Content(f"{target.title} · {summary} · {mode} (v)")
        )
