"""Every key and command of the app, by area, in one place.

Bindings, the command palette and the help screen are all built from these tables, so a
key shown in one is the key that works in the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeyCommand:
    """One action: its keys (Textual key names, comma separated), where it acts, and the
    words the footer, the palette and the help screen use for it."""

    keys: str
    action: str
    title: str
    help: str
    footer: bool = True
    palette: bool = True
    priority: bool = False
    footer_key: str | None = None

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.title,
            show=self.footer,
            priority=self.priority,
            key_display=self.footer_key,
            tooltip=self.help,
        )

    def key_label(self) -> str:
        """``ctrl+s,f2`` -> ``Ctrl+S / F2`` for the help screen and the palette."""
        return " / ".join(key_label(k) for k in self.keys.split(",") if k)


@dataclass(frozen=True)
class KeyArea:
    """A group of keys that act in the same place (the whole app, the editor, a list)."""

    title: str
    commands: tuple[KeyCommand, ...]

    def bindings(self) -> list[BindingType]:
        return [c.binding() for c in self.commands if c.keys]


_NAMED = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "backspace": "Backspace",
    "delete": "Del",
}


def key_label(key: str) -> str:
    """A Textual key name as people write it: ``ctrl+shift+k`` -> ``Ctrl+Shift+K``."""
    parts = key.strip().split("+")
    words = [p.capitalize() if len(p) > 1 else p.upper() for p in parts[:-1]]
    last = parts[-1]
    shown = _NAMED.get(last) or (last.upper() if len(last) <= 3 else last.capitalize())
    return "+".join([*words, shown])


APP_KEYS = KeyArea(
    "Anywhere",
    (
        KeyCommand(
            "f1,question_mark",
            "app.help",
            "Help",
            "Show every key, by area",
            footer_key="F1",
        ),
        KeyCommand(
            "ctrl+q",
            "app.quit",
            "Quit",
            "Quit jitskit; asks first when a card has unsaved changes",
            priority=True,
        ),
    ),
)

EDITOR_KEYS = KeyArea(
    "Spec editor",
    (
        KeyCommand("ctrl+s", "save", "Save", "Save the card to its file"),
        KeyCommand(
            "f12",
            "save_as",
            "Save as",
            "Save the card to another file, and keep editing that",
            footer=False,
        ),
        KeyCommand("ctrl+o", "open", "Open", "Open a card from specs/ or by path"),
        KeyCommand("f8", "next_problem", "Next problem", "Move the cursor to the next problem"),
        KeyCommand(
            "shift+f8",
            "previous_problem",
            "Previous problem",
            "Move the cursor to the previous problem",
            footer=False,
        ),
        KeyCommand(
            "f2",
            "show_summary",
            "Summary",
            "Show the card summary under the editor (narrow terminals)",
        ),
        KeyCommand(
            "f2",
            "show_problems",
            "Problems",
            "Show the problems under the editor again (narrow terminals)",
        ),
        KeyCommand(
            "",
            "focus_problems",
            "Go to the problems list",
            "Move the focus to the list of problems (Esc in the editor does the same)",
            footer=False,
        ),
        KeyCommand(
            "",
            "focus_editor",
            "Go to the editor",
            "Move the focus back to the YAML editor",
            footer=False,
        ),
    ),
)

PROBLEM_KEYS = KeyArea(
    "Problems list",
    (
        KeyCommand(
            "enter", "select", "Jump", "Put the editor's cursor on the problem", palette=False
        ),
        KeyCommand(
            "escape", "back", "Editor", "Back to the editor, cursor unchanged", palette=False
        ),
    ),
)

# The YAML editor's own keys (Textual's TextArea); listed for the help screen only.
EDITING_KEYS = KeyArea(
    "Editing text",
    tuple(
        KeyCommand(keys, "", title, title, palette=False)
        for keys, title in (
            ("ctrl+z", "Undo"),
            ("ctrl+y", "Redo"),
            ("ctrl+x,ctrl+c,ctrl+v", "Cut, copy, paste"),
            ("f7", "Select all"),
            ("f6", "Select the line"),
            ("shift+up,shift+down", "Extend the selection"),
            ("ctrl+left,ctrl+right", "Word left, word right"),
            ("home,end", "Start, end of the line"),
            ("ctrl+home,ctrl+end", "Start, end of the card"),
            ("ctrl+k", "Delete to the end of the line"),
            ("ctrl+shift+k", "Delete the line"),
            ("tab", "Indent (two spaces)"),
            ("escape", "Leave the editor for the problems list"),
        )
    ),
)

PALETTE_KEYS = KeyArea(
    "Command palette",
    (KeyCommand("ctrl+p", "", "Command palette", "Search every command by name", palette=False),),
)
