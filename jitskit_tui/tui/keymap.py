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
    "space": "Space",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "less_than_sign": "<",
    "greater_than_sign": ">",
    "dollar_sign": "$",
}


def key_label(key: str) -> str:
    """A Textual key name as people write it: ``ctrl+shift+k`` -> ``Ctrl+Shift+K``."""
    parts = key.strip().split("+")
    words = [p.capitalize() if len(p) > 1 else p.upper() for p in parts[:-1]]
    last = parts[-1]
    if len(last) == 1 and last.isupper():
        return "+".join([*words, "Shift", last])
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
            "Quit jitskit; asks first when a card has unsaved changes or a run is live here",
            priority=True,
        ),
        KeyCommand("f3", "app.show_editor", "Editor", "Go to the spec editor", footer=False),
        KeyCommand(
            "f4",
            "app.show_dashboard",
            "Dashboard",
            "Go to the dashboard of the run opened last",
            footer=False,
        ),
        KeyCommand(
            "f5",
            "app.show_runs",
            "Runs",
            "Browse the runs on this machine: review, resume or attach",
            footer=False,
        ),
        KeyCommand(
            "f6",
            "app.show_sweep",
            "Sweep",
            "Go to the sweep opened last: its runs, their state and best",
            footer=False,
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
        KeyCommand(
            "ctrl+r",
            "run",
            "Run",
            "Start a run of this card (it must be valid and saved): choose the agent first",
        ),
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

RUN_KEYS = KeyArea(
    "Run dashboard",
    (
        KeyCommand(
            "s",
            "steer",
            "Steer",
            "Send guidance to the agents: at the next iteration or the next tool boundary",
        ),
        KeyCommand(
            "e",
            "pending_steering",
            "Pending steering",
            "Edit or cancel steering that has not been applied yet",
            footer=False,
        ),
        KeyCommand("space", "pause", "Pause", "Pause at the next step or tool boundary"),
        KeyCommand("space", "resume", "Resume", "Resume the paused run"),
        KeyCommand(
            "S", "stop", "Stop", "Stop once the current iteration is committed", footer_key="S"
        ),
        KeyCommand(
            "A",
            "abort",
            "Abort now",
            "Abort the run now (asks first); the work so far is kept",
            footer=False,
        ),
        KeyCommand(
            "f",
            "fork",
            "Fork",
            "Continue from the selected iteration on a new branch (asks first)",
            footer=False,
        ),
        KeyCommand(
            "a",
            "audit",
            "Audit now",
            "Run the auditor at the end of the current iteration",
            footer=False,
        ),
        KeyCommand(
            "B",
            "baselines",
            "Run baselines",
            "Measure the real baselines on the run's machine (a live run re-measures between "
            "iterations and restates the ratios)",
            footer=False,
        ),
        KeyCommand(
            "H",
            "confirm",
            "Headline",
            "Measure the run's headline now: its best at the full size on a held-out trace, "
            "paired against the baselines (between iterations)",
            footer_key="H",
        ),
        KeyCommand(
            "dollar_sign",
            "cost",
            "Cost",
            "Tokens and dollars by role and by iteration, against the budget",
            footer=False,
        ),
        KeyCommand(
            "R",
            "resume_run",
            "Resume run",
            "Continue this run in this app (when no engine runs it)",
            footer_key="R",
        ),
        KeyCommand("", "approve", "Approve a proposal", "Approve a pending harness change"),
        KeyCommand("", "reject", "Reject a proposal", "Reject a pending harness change"),
        KeyCommand("1", "pane('transcript')", "Transcript", "Show the transcript", footer=False),
        KeyCommand("2", "pane('diff')", "Diff", "Show the selected iteration's diff", footer=False),
        KeyCommand("3", "pane('charts')", "Charts", "Show the charts", footer=False),
        KeyCommand(
            "4",
            "pane('gates')",
            "Gates & audit",
            "Show gates, audit tests, proposals",
            footer=False,
        ),
        KeyCommand("5", "pane('logs')", "Logs", "Show the selected iteration's logs", footer=False),
    ),
)

ITERATION_KEYS = KeyArea(
    "Iterations",
    (
        KeyCommand(
            "greater_than_sign",
            "next_iteration",
            "Next iteration",
            "Select the next iteration, wherever the focus is (↓ in the table)",
            footer_key="<>",
        ),
        KeyCommand(
            "less_than_sign",
            "previous_iteration",
            "Previous iteration",
            "Select the previous iteration, wherever the focus is (↑ in the table)",
            footer=False,
        ),
        KeyCommand("", "open_diff", "Show the diff", "Show the selected iteration's diff (Enter)"),
        KeyCommand(
            "p",
            "diff_base('parent')",
            "Diff against parent",
            "Diff the selected iteration against its parent",
            footer=False,
        ),
        KeyCommand(
            "b",
            "diff_base('best')",
            "Diff against best",
            "Diff the selected iteration against the best one",
            footer=False,
        ),
        KeyCommand(
            "m",
            "mark",
            "Mark for comparison",
            "Mark the selected iteration; diffs are then against it (m again clears)",
            footer=False,
        ),
    ),
)

TRANSCRIPT_KEYS = KeyArea(
    "Transcript",
    (
        KeyCommand(
            "right_square_bracket",
            "next_block",
            "Next tool call",
            "Select the next tool call or thinking block",
            footer=False,
            palette=False,
        ),
        KeyCommand(
            "left_square_bracket",
            "previous_block",
            "Previous tool call",
            "Select the previous tool call or thinking block",
            footer=False,
            palette=False,
        ),
        KeyCommand(
            "enter",
            "toggle_block",
            "Open/close",
            "Open or close the selected block",
            footer=False,
            palette=False,
        ),
        KeyCommand(
            "o",
            "toggle_all",
            "Open all",
            "Open or close every tool call",
            footer=False,
            palette=False,
        ),
        KeyCommand("end", "follow", "Follow", "Follow the tail again", footer=False, palette=False),
    ),
)

DIFF_KEYS = KeyArea(
    "Diff",
    (
        KeyCommand("v", "toggle_split", "Side by side", "Unified or side by side", footer=False),
        KeyCommand("n", "next_hunk", "Next hunk", "Scroll to the next hunk", footer=False),
        KeyCommand(
            "N", "previous_hunk", "Previous hunk", "Scroll to the previous hunk", footer=False
        ),
        KeyCommand(
            "right_square_bracket",
            "next_file",
            "Next file",
            "Scroll to the next file",
            footer=False,
            palette=False,
        ),
        KeyCommand(
            "left_square_bracket",
            "previous_file",
            "Previous file",
            "Scroll to the previous file",
            footer=False,
            palette=False,
        ),
    ),
)

CHART_KEYS = KeyArea(
    "Charts (narrow terminals)",
    (
        KeyCommand(
            "right_square_bracket",
            "next_chart",
            "Next chart",
            "Show the next chart",
            footer=False,
            palette=False,
        ),
        KeyCommand(
            "left_square_bracket",
            "previous_chart",
            "Previous chart",
            "Show the previous chart",
            footer=False,
            palette=False,
        ),
    ),
)

RUNS_KEYS = KeyArea(
    "Runs browser",
    (
        KeyCommand(
            "enter",
            "open_run",
            "Open",
            "Review the run (replayed from its log), or attach to it when it is live",
            palette=False,
        ),
        KeyCommand("R", "resume_run", "Resume", "Continue the selected run in this app"),
        KeyCommand(
            "m",
            "mark_run",
            "Mark",
            "Mark the run (or unmark it) to put it beside another; two at most",
        ),
        KeyCommand(
            "b",
            "beside",
            "Beside",
            "The two marked runs side by side (one marked: beside the highlighted run; "
            "none: the highlighted run beside the newest run of the other kind of its card, "
            "naive or pipeline), their stores compared as paired trials",
        ),
        KeyCommand("r", "refresh", "Refresh", "List the runs again", footer=False),
    ),
)

SWEEP_KEYS = KeyArea(
    "Sweep",
    (
        KeyCommand(
            "enter",
            "open_run",
            "Open run",
            "Open the selected run's dashboard (attached while it is live, else replayed)",
            palette=False,
        ),
        KeyCommand("space", "pause_sweep", "Pause sweep", "Pause every run of the sweep"),
        KeyCommand("space", "resume_sweep", "Resume sweep", "Resume every run of the sweep"),
        KeyCommand(
            "S",
            "stop_sweep",
            "Stop sweep",
            "Stop every run once its iteration is committed; runs not started do not start",
            footer_key="S",
        ),
        KeyCommand(
            "A",
            "abort_sweep",
            "Abort sweep",
            "Abort every run of the sweep now (asks first); the work so far is kept",
            footer=False,
        ),
        KeyCommand("p", "pause_run", "Pause run", "Pause the selected run"),
        KeyCommand("p", "resume_run", "Resume run", "Resume the selected run"),
        KeyCommand(
            "s", "stop_run", "Stop run", "Stop the selected run once its iteration is committed"
        ),
        KeyCommand("r", "refresh", "Refresh", "Read the runs' logs again", footer=False),
    ),
)

BESIDE_KEYS = KeyArea(
    "Two runs side by side",
    (
        KeyCommand(
            "c",
            "compare",
            "Compare",
            "Measure the two stores (again) as paired trials, in the background; the "
            "result is kept in the naive run's folder",
        ),
        KeyCommand("escape", "back", "Back", "Back to the runs (a measurement goes on)"),
    ),
)
