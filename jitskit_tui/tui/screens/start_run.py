"""Before a run starts (or resumes, or forks): who plays the agents, how fast the scripted
one talks, the budget, the machine, and whether to measure the baselines.

One row per choice so it fits 80x24; Enter starts, Esc cancels. The defaults are the
command line's (or what the run was started with, on resume).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from jitskit_tui.agents import AgentName
from jitskit_tui.agents.scripted.pace import PaceName
from jitskit_tui.tui.run.launch import RunChoices

AGENTS: tuple[tuple[AgentName, str], ...] = (
    ("scripted", "scripted (offline)"),
    ("anthropic", "anthropic (API key)"),
)
PACE_NAMES: tuple[PaceName, ...] = ("realistic", "fast", "instant")


class StartRunDialog(ModalScreen[RunChoices | None]):
    """Returns the choices, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+s", "start", "Start", show=False),
    ]

    def __init__(
        self,
        title: str,
        defaults: RunChoices,
        *,
        budget_hint: str,
        machine_hint: str,
        start_label: str = "Start",
    ) -> None:
        super().__init__()
        self._title = title
        self._defaults = defaults
        self._budget_hint = budget_hint
        self._machine_hint = machine_hint
        self._start_label = start_label

    def compose(self) -> ComposeResult:
        d = self._defaults
        with Vertical(classes="dialog start-run"):
            yield Label(self._title, classes="dialog-title")
            with Grid(classes="form"):
                yield Label("Agent", classes="form-label")
                with RadioSet(id="agent", classes="form-radio"):
                    for name, text in AGENTS:
                        yield RadioButton(text, value=name == d.agent, name=name)
                yield Label("Pace", classes="form-label")
                with RadioSet(id="pace", classes="form-radio"):
                    for pace in PACE_NAMES:
                        yield RadioButton(pace, value=pace == d.pace, name=pace)
                yield Label("Iterations", classes="form-label")
                yield Input(
                    str(d.iterations) if d.iterations else "",
                    placeholder=self._budget_hint,
                    id="iterations",
                    type="integer",
                    classes="form-input",
                )
                yield Label("Machine", classes="form-label")
                yield Input(
                    d.machine or "",
                    placeholder=self._machine_hint,
                    id="machine",
                    classes="form-input",
                )
                yield Label("Trajectory", classes="form-label")
                yield Input(
                    str(d.trajectory) if d.trajectory else "",
                    placeholder="the shipped demo (scripted agent only)",
                    id="trajectory",
                    classes="form-input",
                )
                yield Label("Ratio", classes="form-label")
                yield Checkbox(
                    "measure the baselines (cached per machine)",
                    d.baselines,
                    id="baselines",
                    classes="form-check",
                )
            yield Static("", id="start-note", classes="dialog-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self._start_label, id="start", variant="primary")
                yield Button("Cancel", id="cancel")
            yield Static(
                "Ctrl+S start · Tab next field · ←→ and Space choose · Esc cancel",
                classes="dialog-note",
            )

    def on_mount(self) -> None:
        self.query_one("#start-note", Static).display = False
        self.query_one("#start", Button).focus()
        self._sync_scripted()

    def _choice(self, radio_id: str) -> str:
        pressed = self.query_one(f"#{radio_id}", RadioSet).pressed_button
        return (pressed.name or "") if pressed is not None else ""

    @on(RadioSet.Changed, "#agent")
    def _sync_scripted(self) -> None:
        scripted = self._choice("agent") == "scripted"
        self.query_one("#pace", RadioSet).disabled = not scripted
        self.query_one("#trajectory", Input).disabled = not scripted

    def _note(self, text: str) -> None:
        note = self.query_one("#start-note", Static)
        note.update(text)
        note.set_class(bool(text), "-error")
        note.display = bool(text)

    def choices(self) -> RunChoices | None:
        """The form as choices, or None (with a note saying what is wrong)."""
        agent: AgentName = "anthropic" if self._choice("agent") == "anthropic" else "scripted"
        chosen_pace = self._choice("pace")
        pace: PaceName = next((p for p in PACE_NAMES if p == chosen_pace), "realistic")
        iterations_text = self.query_one("#iterations", Input).value.strip()
        iterations: int | None = None
        if iterations_text:
            if not iterations_text.isdigit() or int(iterations_text) < 1:
                self._note("Iterations: a whole number of at least 1 (empty: the default).")
                return None
            iterations = int(iterations_text)
        trajectory_text = self.query_one("#trajectory", Input).value.strip()
        trajectory = Path(trajectory_text).expanduser() if trajectory_text else None
        if agent == "scripted" and trajectory is not None and not trajectory.is_dir():
            self._note(f"Trajectory: {trajectory_text} is not a folder (empty: the shipped demo).")
            return None
        machine = self.query_one("#machine", Input).value.strip() or None
        return replace(
            self._defaults,
            agent=agent,
            pace=pace,
            iterations=iterations,
            trajectory=trajectory if agent == "scripted" else None,
            machine=machine,
            baselines=self.query_one("#baselines", Checkbox).value,
        )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        chosen = self.choices()
        if chosen is not None:
            self.dismiss(chosen)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
