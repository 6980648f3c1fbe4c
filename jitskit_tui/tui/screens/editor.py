"""The spec editor: YAML on the left, the card's summary and its problems beside it.

Validation runs 0.3 s after the last keystroke, in a thread, in an exclusive worker, so
typing never waits for it and a stale result never lands over a newer one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal
from textual.content import Content
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, TextArea
from textual.worker import Worker, WorkerState

from jitskit_tui.paths import packaged
from jitskit_tui.tui.card_check import CardCheck, check_card_text
from jitskit_tui.tui.card_file import CardWriteError, display_path, read_card_text, write_atomically
from jitskit_tui.tui.keymap import EDITOR_KEYS, KeyArea
from jitskit_tui.tui.messages import RunRequested
from jitskit_tui.tui.widgets.card_text_area import CardTextArea
from jitskit_tui.tui.widgets.problem_list import ProblemList
from jitskit_tui.tui.widgets.summary_panel import SummaryPanel

if TYPE_CHECKING:
    from jitskit_tui.spec import SpecCard, SpecIssue

Layout = Literal["narrow", "medium", "wide"]

# Terminal widths at which the panes go beside the editor: the summary and problems
# stacked in one column, then all three side by side.
MEDIUM_WIDTH = 110
WIDE_WIDTH = 150


def layout_for(width: int) -> Layout:
    if width >= WIDE_WIDTH:
        return "wide"
    return "medium" if width >= MEDIUM_WIDTH else "narrow"


class EditorScreen(Screen[None]):
    """Edits one card file at a time."""

    CSS_PATH = str(packaged("styles", "editor.tcss"))
    BINDINGS = EDITOR_KEYS.bindings()
    COMMAND_AREAS: ClassVar[tuple[KeyArea, ...]] = (EDITOR_KEYS,)
    AUTO_FOCUS = "#editor"

    DEBOUNCE_SECONDS = 0.3

    dirty: reactive[bool] = reactive(False)
    layout_name: reactive[Layout] = reactive("narrow")

    def __init__(self, path: Path, *, cursor_blink: bool = True) -> None:
        super().__init__()
        card = read_card_text(path)
        self.path = path
        self._opened_problem = card.problem
        self._initial_text = card.text
        self._saved_text = card.text
        self._overwritable = card.overwritable
        self._cursor_blink = cursor_blink
        self._check: CardCheck | None = None
        self._last_valid: SpecCard | None = None
        self._saving = False
        self._checking_text: str | None = None

    # -- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="workbench"):
            yield CardTextArea(self._initial_text, id="editor", cursor_blink=self._cursor_blink)
            with Container(id="side"):
                yield SummaryPanel(id="summary")
                yield ProblemList(id="problems")
        yield Footer()

    def on_mount(self) -> None:
        self.layout_name = layout_for(self.app.size.width)
        self._card_changed()
        if self._opened_problem:
            self._notify_open_problem(self._opened_problem, self._overwritable)

    def on_resize(self, event: Resize) -> None:
        self.layout_name = layout_for(event.size.width)

    def watch_layout_name(self, layout: Layout) -> None:
        for name in ("narrow", "medium", "wide"):
            self.set_class(layout == name, f"-{name}")
        self.refresh_bindings()

    def watch_dirty(self) -> None:
        self._update_titles()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F2 flips the pane under the editor; only one of its two meanings is offered.
        showing_summary = self.has_class("-show-summary")
        if action == "show_summary":
            return self.layout_name == "narrow" and not showing_summary
        if action == "show_problems":
            return self.layout_name == "narrow" and showing_summary
        return True

    @property
    def editor(self) -> CardTextArea:
        return self.query_one("#editor", CardTextArea)

    @property
    def problems(self) -> ProblemList:
        return self.query_one("#problems", ProblemList)

    @property
    def check(self) -> CardCheck | None:
        """The latest validation of the text, or None before the first one finishes."""
        return self._check

    def _update_titles(self) -> None:
        shown = display_path(self.path)
        self.sub_title = f"{shown} ● modified" if self.dirty else shown
        self.editor.border_title = Content(f"{shown}{' ●' if self.dirty else ''}")

    def _update_status(self) -> None:
        row, column = self.editor.cursor_location
        check = self._check
        if check is None:
            state = "checking…"
        elif check.valid:
            state = "[$text-success]✓ valid[/]"
        else:
            count = len(check.issues)
            state = f"[$text-error]✗ {count} problem{'s' if count != 1 else ''}[/]"
        self.editor.border_subtitle = Content.from_markup(
            f"Ln $row, Col $column · {state}", row=row + 1, column=column + 1
        )

    # -- loading ----------------------------------------------------------------------

    def load(self, path: Path) -> None:
        """Replaces the buffer with the card at ``path`` (the caller settled unsaved text)."""
        card = read_card_text(path)
        self.path = path
        self._saved_text = card.text
        self._overwritable = card.overwritable
        self._check = None
        self._last_valid = None
        self.editor.load_text(card.text)
        self.editor.move_cursor((0, 0))
        self.editor.focus()
        self._card_changed()
        if card.problem:
            self._notify_open_problem(card.problem, card.overwritable)

    def _notify_open_problem(self, problem: str, overwritable: bool) -> None:
        if overwritable:
            self._tell(problem, title="New card", severity="warning")
        else:
            self._tell(
                f"{problem}. Ctrl+S will ask for another path rather than replace it.",
                title="Could not open the card",
                severity="error",
                timeout=12,
            )

    def _card_changed(self) -> None:
        self.dirty = self.editor.text != self._saved_text
        self._update_titles()
        self._update_status()
        self._checking_text = self.editor.text
        # After the next paint: the first check imports the spec models (pydantic).
        self.call_after_refresh(self._start_check, 0.0)

    # -- validation -------------------------------------------------------------------

    @on(TextArea.Changed, "#editor")
    def _text_changed(self) -> None:
        text = self.editor.text
        self.dirty = text != self._saved_text
        if text == self._checking_text:
            return  # loading a card posts a change that is already being checked
        self._checking_text = None
        self._start_check(delay=self.DEBOUNCE_SECONDS)

    @on(TextArea.SelectionChanged, "#editor")
    def _cursor_moved(self) -> None:
        self._update_status()

    def _start_check(self, delay: float) -> None:
        self.run_worker(
            self._check_after(delay), group="check", exclusive=True, exit_on_error=False
        )

    async def _check_after(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        text = self.editor.text
        result = await asyncio.to_thread(
            check_card_text, text, display_path(self.path), self.path.stem
        )
        if text == self.editor.text:
            self._apply_check(result)

    def _apply_check(self, result: CardCheck) -> None:
        self._check = result
        self.editor.mark_problems(result.issues)
        self.problems.show_issues(result.issues)
        count = len(result.issues)
        self.problems.border_title = f"Problems ({count})" if count else "Problems"
        summary = self.query_one(SummaryPanel)
        if result.spec is not None:
            self._last_valid = result.spec
            summary.show_card(result.spec)
        else:
            summary.show_invalid(self._last_valid)
        stale = not result.valid and self._last_valid is not None
        summary.border_title = "Summary (last valid)" if stale else "Summary"
        self._update_status()

    # -- problems ---------------------------------------------------------------------

    @on(ProblemList.Jump)
    def _jump(self, event: ProblemList.Jump) -> None:
        self.jump_to(event.issue)

    @on(ProblemList.Back)
    def _back(self) -> None:
        self.editor.focus()

    @on(CardTextArea.Leave)
    def _leave_editor(self) -> None:
        if self.problems.display:
            self.problems.focus()
        else:
            self.query_one(SummaryPanel).focus()

    def jump_to(self, issue: SpecIssue) -> None:
        """Puts the cursor on a problem's line and column (clamped to the text as it is
        now) and the focus in the editor."""
        editor = self.editor
        row = min(max(issue.line - 1, 0), editor.document.line_count - 1)
        column = min(max(issue.column - 1, 0), len(editor.document.get_line(row)))
        editor.move_cursor((row, column), center=True)
        editor.focus()

    def _step_problem(self, forward: bool) -> None:
        issues = self._check.issues if self._check else ()
        if not issues:
            self._tell("No problems in this card.")
            return
        row, column = self.editor.cursor_location
        here = (row + 1, column + 1)
        positions = [(i.line, i.column) for i in issues]
        if forward:
            index = next((k for k, p in enumerate(positions) if p > here), 0)
        else:
            index = next(
                (k for k in range(len(positions) - 1, -1, -1) if positions[k] < here),
                len(positions) - 1,
            )
        self.problems.highlighted = index
        self.jump_to(issues[index])

    def action_next_problem(self) -> None:
        self._step_problem(forward=True)

    def action_previous_problem(self) -> None:
        self._step_problem(forward=False)

    def action_show_summary(self) -> None:
        self.add_class("-show-summary")
        self.refresh_bindings()

    def action_show_problems(self) -> None:
        self.remove_class("-show-summary")
        self.refresh_bindings()

    def action_focus_problems(self) -> None:
        self.action_show_problems()
        self.problems.focus()

    def action_focus_editor(self) -> None:
        self.editor.focus()

    # -- saving and opening -------------------------------------------------------------

    def action_save(self) -> None:
        self.run_worker(self.save(), group="file", exit_on_error=False)

    def action_save_as(self) -> None:
        self.run_worker(self.save_as(), group="file", exit_on_error=False)

    def action_open(self) -> None:
        self.run_worker(self._open_flow(), group="file", exit_on_error=False)

    async def save(self) -> bool:
        """Saves to the card's path (asking for one when the original could not be read).
        Must run in a worker, since it may open a dialog. True when the text is on disk."""
        if not self._overwritable:
            self._tell(
                f"{display_path(self.path)} could not be read, so it is not replaced; "
                "choose where to save.",
                severity="warning",
            )
            return await self.save_as()
        return await self._write(self.path)

    async def save_as(self) -> bool:
        from jitskit_tui.tui.screens.dialogs import SaveAsPrompt

        target = await self.app.push_screen_wait(SaveAsPrompt(self.path))
        if target is None:
            return False
        if not await self._write(target):
            return False
        self.path = target
        self._overwritable = True
        self._update_titles()
        self._start_check(delay=0.0)
        return True

    async def _write(self, path: Path) -> bool:
        if self._saving:
            self._tell("A save is already in progress.", severity="warning")
            return False
        self._saving = True
        text = self.editor.text
        try:
            await asyncio.to_thread(write_atomically, path, text)
        except CardWriteError as err:
            self._tell(str(err), title="Not saved", severity="error", timeout=15)
            return False
        finally:
            self._saving = False
        self._saved_text = text
        self.dirty = self.editor.text != text
        self._update_titles()
        check = self._check
        problems = len(check.issues) if check and not check.valid else 0
        note = f" with {problems} problem{'s' if problems != 1 else ''}" if problems else ""
        self._tell(f"Saved {display_path(path)}{note}.", timeout=3)
        return True

    async def settle_unsaved(self, doing: str) -> bool:
        """When the text is modified, asks whether to save it before ``doing`` (e.g.
        "quitting"). True when it is fine to go on. Must run in a worker."""
        if not self.dirty:
            return True
        from jitskit_tui.tui.screens.dialogs import UnsavedChanges

        choice = await self.app.push_screen_wait(UnsavedChanges(display_path(self.path), doing))
        if choice == "save":
            return await self.save()
        return choice == "discard"

    async def _open_flow(self) -> None:
        from jitskit_tui.tui.screens.picker import CardPicker

        if not await self.settle_unsaved("opening another card"):
            return
        path = await self.app.push_screen_wait(CardPicker(self.path))
        if path is not None:
            self.load(path)

    # -- the seam to the loop --------------------------------------------------------

    def action_run(self) -> None:
        self.run_worker(self._run_flow(), group="file", exit_on_error=False)

    async def _run_flow(self) -> None:
        """Ctrl+R: checks the text as it is now (not the debounced check), saves it when
        it is valid and modified, then asks the app to run the file."""
        text = self.editor.text
        result = await asyncio.to_thread(
            check_card_text, text, display_path(self.path), self.path.stem
        )
        if text == self.editor.text:
            self._apply_check(result)
        if result.spec is None or text != self.editor.text:
            self.request_run()
            return
        if self.dirty and not await self.save():
            return
        self.request_run()

    def request_run(self) -> bool:
        """Asks the app to run this card, when it is valid and saved; otherwise says why."""
        check = self._check
        if check is None or check.spec is None:
            if check is None:
                reason = "it is still being checked"
            else:
                first = check.issues[0]
                reason = f"{len(check.issues)} problem(s), first at {first.line}:{first.column}"
            self._tell(f"This card cannot run: {reason}.", severity="error")
            return False
        if self.dirty:
            self._tell("Save the card first (Ctrl+S): a run starts from the file.")
            return False
        self.post_message(RunRequested(self.path, check.spec))
        return True

    def _tell(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """A notification whose text is shown as written (paths and YAML hold brackets)."""
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- failures ---------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and worker.error is not None:
            self._tell(
                f"{worker.group}: {worker.error!r}. The text is untouched.",
                title="Something went wrong",
                severity="error",
                timeout=15,
            )
