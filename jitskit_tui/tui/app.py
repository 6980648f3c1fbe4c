"""The jitskit app: one mode per area of work (the spec editor now; runs later), the
help screen and the command palette over all of them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from jitskit_tui.paths import packaged
from jitskit_tui.tui.commands import KeyCommands
from jitskit_tui.tui.keymap import APP_KEYS
from jitskit_tui.tui.screens.editor import EditorScreen

# Textual's own palette entries that ours replace (our Quit asks about unsaved changes,
# our Help lists keys by area).
_REPLACED_SYSTEM_COMMANDS = {"Quit", "Keys"}


class JitskitApp(App[None]):
    """Keyboard-first: every action has a key in the footer or the help screen (F1), and
    a name in the command palette (Ctrl+P)."""

    TITLE = "jitskit"
    CSS_PATH = str(packaged("styles", "app.tcss"))
    BINDINGS = APP_KEYS.bindings()
    COMMANDS = App.COMMANDS | {KeyCommands}
    DEFAULT_MODE = "editor"

    def __init__(self, spec: Path, *, cursor_blink: bool = True) -> None:
        super().__init__()
        self._spec = spec
        self._cursor_blink = cursor_blink
        self.editor: EditorScreen | None = None
        self.add_mode("editor", self._make_editor)

    def _make_editor(self) -> Screen[None]:
        self.editor = EditorScreen(self._spec, cursor_blink=self._cursor_blink)
        return self.editor

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in _REPLACED_SYSTEM_COMMANDS:
                yield command

    def action_help(self) -> None:
        from jitskit_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quits, first asking to save a modified card."""
        from jitskit_tui.tui.screens.dialogs import UnsavedChanges

        if isinstance(self.screen, UnsavedChanges):
            return  # already asking
        editor = self.editor
        if editor is None or not editor.dirty:
            self.exit()
            return
        self.run_worker(self._quit_when_settled(editor), group="quit", exit_on_error=False)

    async def _quit_when_settled(self, editor: EditorScreen) -> None:
        if await editor.settle_unsaved("quitting"):
            self.exit()


def make_app(spec: Path, *, cursor_blink: bool = True) -> JitskitApp:
    """The app on one card; the CLI and the tests build it the same way."""
    return JitskitApp(spec, cursor_blink=cursor_blink)
