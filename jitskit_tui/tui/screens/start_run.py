"""Before a run starts (or resumes, or forks): who plays the agents and with which
options (how fast the scripted one talks), the budget, the machine, whether to measure
the baselines, whether a machine smaller than the card may evaluate, and (for an agent
that can run it, Claude Code) the naive experiment instead of the pipeline.

One row per choice so it fits 80x24; Enter starts, Esc cancels. The defaults are the
command line's (or what the run was started with, on resume). The agents and their
options are the registry's (:mod:`jitskit_tui.agents.registry`): an option with choices
is a row of buttons under the agent, a free one (a path) a field under the machine, and
each is enabled while its agent is chosen.
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

from jitskit_tui.agents.registry import AGENT_BACKENDS, AgentBackend, AgentOption
from jitskit_tui.launch.choices import RunChoices

BackendOption = tuple[AgentBackend, AgentOption]
CHOICE_OPTIONS: tuple[BackendOption, ...] = tuple(
    (b, o) for b in AGENT_BACKENDS for o in b.options if o.choices
)
FREE_OPTIONS: tuple[BackendOption, ...] = tuple(
    (b, o) for b in AGENT_BACKENDS for o in b.options if not o.choices
)


def _option_id(backend: AgentBackend, option: AgentOption) -> str:
    return f"option-{backend.name}-{option.name}"


def _check_row(
    label: str, text: str, value: bool, widget_id: str, tooltip: str | None = None
) -> ComposeResult:
    yield Label(label, classes="form-label")
    yield Checkbox(text, value, id=widget_id, classes="form-check", tooltip=tooltip)


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
        resuming: bool = False,
    ) -> None:
        super().__init__()
        self._title = title
        self._defaults = defaults
        self._budget_hint = budget_hint
        self._machine_hint = machine_hint
        self._start_label = start_label
        self._resuming = resuming
        """A resume (or fork) keeps the run's naive choice: shown, not changed."""

    def _default(self, backend: AgentBackend, option: AgentOption) -> str:
        """The option's value to show: the defaults' when they are for its agent."""
        d = self._defaults
        given = d.agent_options.get(option.name) if d.agent == backend.name else None
        return given if given is not None else option.default or ""

    def compose(self) -> ComposeResult:
        d = self._defaults
        with Vertical(classes="dialog start-run"):
            yield Label(self._title, classes="dialog-title")
            with Grid(classes="form"):
                yield Label("Agent", classes="form-label")
                with RadioSet(id="agent", classes="form-radio"):
                    for backend in AGENT_BACKENDS:
                        yield RadioButton(
                            backend.label, value=backend.name == d.agent, name=backend.name
                        )
                for backend, option in CHOICE_OPTIONS:
                    yield Label(option.label, classes="form-label")
                    shown = self._default(backend, option)
                    with RadioSet(id=_option_id(backend, option), classes="form-radio"):
                        for value in option.choices:
                            yield RadioButton(value, value=value == shown, name=value)
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
                for backend, option in FREE_OPTIONS:
                    yield Label(option.label, classes="form-label")
                    yield Input(
                        self._default(backend, option),
                        placeholder=f"{option.empty} ({backend.name} agent only)",
                        id=_option_id(backend, option),
                        classes="form-input",
                    )
                yield from _check_row(
                    "Ratio", "measure the baselines (cached per machine)", d.baselines, "baselines"
                )
                yield from _check_row(
                    "Smaller",
                    "allow a machine smaller than the card (marked)",
                    d.allow_smaller_machine,
                    "allow-smaller-machine",
                )
                yield from _check_row(
                    "Naive",
                    "one session, no pipeline, gates after (Claude Code)",
                    d.naive,
                    "naive",
                    tooltip="The paper's naive baseline: one agent session with the card, the "
                    "store contract and a benchmark that reports throughput only; the gates "
                    "judge each benchmarked store after the fact.",
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
        self._sync_options()

    def _choice(self, radio_id: str) -> str:
        pressed = self.query_one(f"#{radio_id}", RadioSet).pressed_button
        return (pressed.name or "") if pressed is not None else ""

    @on(RadioSet.Changed, "#agent")
    def _sync_options(self) -> None:
        """Only the chosen agent's options can be changed; the naive experiment only for
        an agent that runs it, and only when a run starts."""
        chosen = self._choice("agent")
        for backend, option in (*CHOICE_OPTIONS, *FREE_OPTIONS):
            self.query_one(f"#{_option_id(backend, option)}").disabled = backend.name != chosen
        naive = self.query_one("#naive", Checkbox)
        naive.disabled = self._resuming or not self._backend(chosen).runs_naive

    @staticmethod
    def _backend(name: str) -> AgentBackend:
        return next((b for b in AGENT_BACKENDS if b.name == name), AGENT_BACKENDS[0])

    def _note(self, text: str) -> None:
        note = self.query_one("#start-note", Static)
        note.update(text)
        note.set_class(bool(text), "-error")
        note.display = bool(text)

    def choices(self) -> RunChoices | None:
        """The form as choices, or None (with a note saying what is wrong)."""
        backend = self._backend(self._choice("agent"))
        iterations_text = self.query_one("#iterations", Input).value.strip()
        iterations: int | None = None
        if iterations_text:
            if not iterations_text.isdigit() or int(iterations_text) < 1:
                self._note("Iterations: a whole number of at least 1 (empty: the default).")
                return None
            iterations = int(iterations_text)
        options = self._agent_options(backend)
        if options is None:
            return None
        machine = self.query_one("#machine", Input).value.strip() or None
        return replace(
            self._defaults,
            agent=backend.name,
            agent_options=options,
            iterations=iterations,
            machine=machine,
            baselines=self.query_one("#baselines", Checkbox).value,
            allow_smaller_machine=self.query_one("#allow-smaller-machine", Checkbox).value,
            naive=self._naive(backend),
        )

    def _naive(self, backend: AgentBackend) -> bool:
        """The naive experiment when ticked for an agent that runs it; a resume keeps the
        run's."""
        if self._resuming:
            return self._defaults.naive
        return backend.runs_naive and self.query_one("#naive", Checkbox).value

    def _agent_options(self, backend: AgentBackend) -> dict[str, str] | None:
        """The chosen agent's options from their rows, or None (with a note) when a path
        names nothing."""
        options: dict[str, str] = {}
        for option in backend.options:
            row = f"#{_option_id(backend, option)}"
            if option.choices:
                options[option.name] = self._choice(row[1:]) or option.default or ""
                continue
            text = self.query_one(row, Input).value.strip()
            if not text:
                continue
            if option.path:
                path = Path(text).expanduser()
                exists = path.is_dir() if option.path == "folder" else path.is_file()
                if not exists:
                    self._note(
                        f"{option.label}: {text} is not a {option.path} (empty: {option.empty})."
                    )
                    return None
                text = str(path)
            options[option.name] = text
        return options

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
