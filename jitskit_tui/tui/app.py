"""The jitskit app: one mode per area of work (the spec editor, the run dashboard, the runs
browser), the help screen and the command palette over all of them.

The app owns the runs it shows: at most one engine running in this process (started from
the editor or resumed here), and any number of runs attached to or replayed. Their events
are folded in batches by one timer that sleeps while nothing arrives.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from jitskit_tui.paths import default_spec, packaged
from jitskit_tui.tui.commands import KeyCommands
from jitskit_tui.tui.keymap import APP_KEYS, KeyArea
from jitskit_tui.tui.messages import (
    OpenRunRequested,
    OpenSweepRequested,
    ResumeRequested,
    RunRequested,
)

if TYPE_CHECKING:
    from jitskit_tui.engine.loop import Engine
    from jitskit_tui.engine.workspace import Workspace
    from jitskit_tui.launch.choices import RunChoices
    from jitskit_tui.sweep.folder import SweepFolder
    from jitskit_tui.tui.dashboard.screen import DashboardScreen
    from jitskit_tui.tui.run.feed import RunFeed
    from jitskit_tui.tui.run.links import LiveLink, RunLink
    from jitskit_tui.tui.screens.editor import EditorScreen
    from jitskit_tui.tui.screens.runs import RunsScreen
    from jitskit_tui.tui.screens.sweep import SweepScreen

# Textual's own palette entries that ours replace (our Quit asks about unsaved changes,
# our Help lists keys by area).
_REPLACED_SYSTEM_COMMANDS = {"Quit", "Keys"}
DRAIN_INTERVAL_S = 1 / 30


class JitskitApp(App[None]):
    """Keyboard-first: every action has a key in the footer or the help screen (F1), and
    a name in the command palette (Ctrl+P)."""

    TITLE = "jitskit"
    # Every screen's sheet, read once at start: a screen bringing its own makes Textual
    # parse every rule again when it is first shown (the screens name theirs too).
    CSS_PATH = [
        str(packaged("styles", name)) for name in ("app.tcss", "editor.tcss", "dashboard.tcss")
    ]
    BINDINGS = APP_KEYS.bindings()
    COMMANDS = App.COMMANDS | {KeyCommands}
    DEFAULT_MODE = "editor"

    def __init__(
        self,
        spec: Path,
        *,
        cursor_blink: bool = True,
        run: Workspace | None = None,
        engine: Engine | None = None,
        run_defaults: RunChoices | None = None,
        workspaces: Path | None = None,
        sweep: SweepFolder | None = None,
    ) -> None:
        """``run``: a run to open at start (attached or replayed); ``engine``: a run to
        start at start, live in this app (`jitskit run SPEC`); ``sweep``: a sweep to show
        at start (`jitskit tui DIR`)."""
        super().__init__()
        self._spec = spec
        self._cursor_blink = cursor_blink
        self._open_at_start = run
        self._run_defaults = run_defaults
        self.workspaces = workspaces
        self.editor: EditorScreen | None = None
        self.dashboard: DashboardScreen | None = None
        self.runs_screen: RunsScreen | None = None
        self.sweep_screen: SweepScreen | None = None
        self._sweep = sweep
        self.feeds: dict[str, RunFeed] = {}
        self.live: LiveLink | None = None
        self._drain_timer: Timer | None = None
        self._draining = False
        self._last_drain = 0.0
        self._engine_at_start = engine
        self.add_mode("editor", self._make_editor)
        self.add_mode("dashboard", self._make_dashboard)
        self.add_mode("runs", self._make_runs)
        self.add_mode("sweep", self._make_sweep)

    def _make_editor(self) -> Screen[None]:
        # Loaded with the mode: an app opened on a run draws the dashboard without it.
        from jitskit_tui.tui.screens.editor import EditorScreen

        self.editor = EditorScreen(self._spec, cursor_blink=self._cursor_blink)
        return self.editor

    def _make_dashboard(self) -> Screen[None]:
        from jitskit_tui.tui.dashboard.screen import DashboardScreen

        dashboard = self.dashboard = DashboardScreen()
        # The run the app opens on starts feeding now, while the screen is composed: its
        # first events are folded for the first frame that can show them.
        if self._open_at_start is not None or self._engine_at_start is not None:
            feed = self._open_at_start_now()
            if feed is not None:
                dashboard.show_feed(feed)
        return dashboard

    def _make_runs(self) -> Screen[None]:
        from jitskit_tui.tui.screens.runs import RunsScreen

        self.runs_screen = RunsScreen(self.workspaces)
        return self.runs_screen

    def _make_sweep(self) -> Screen[None]:
        from jitskit_tui.tui.screens.sweep import SweepScreen

        assert self._sweep is not None, "the sweep mode is entered with a sweep"
        self.sweep_screen = SweepScreen(self._sweep)
        return self.sweep_screen

    def on_mount(self) -> None:
        # Everything loaded so far (modules, styles) lives as long as the app: keep it
        # out of the collector's way, so a full collection does not stall a frame. (The
        # CLI keeps the collector off while the app starts: on from here.)
        gc.freeze()
        gc.enable()
        self._drain_timer = self.set_interval(DRAIN_INTERVAL_S, self._drain, pause=True)
        if self._open_at_start is not None or self._engine_at_start is not None:
            feed = self._open_at_start_now()
            if feed is not None:
                self._show_feed(feed)
        if any(feed.backlog for feed in self.feeds.values()):
            self._wake()  # events that came before the timer was there

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in _REPLACED_SYSTEM_COMMANDS:
                yield command

    # -- modes -------------------------------------------------------------------------------

    def action_help(self) -> None:
        from jitskit_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            # The keys of the screen in front come first.
            here: tuple[KeyArea, ...] = getattr(self.screen, "COMMAND_AREAS", ())
            self.push_screen(HelpScreen(first=here))

    def action_show_editor(self) -> None:
        self.switch_mode("editor")

    def action_show_dashboard(self) -> None:
        if self.dashboard is None or self.dashboard.feed is None:
            self.notify(
                "No run is open yet: start one from the editor (Ctrl+R) or open one from "
                "the runs (F5).",
                markup=False,
            )
            return
        self.switch_mode("dashboard")

    def action_show_runs(self) -> None:
        self.switch_mode("runs")
        if self.runs_screen is not None and self.runs_screen.is_mounted:
            self.runs_screen.action_refresh()

    def action_show_sweep(self) -> None:
        if self._sweep is None:
            self.notify(
                "No sweep is open: open one from the runs (F5), or with `jitskit tui DIR`.",
                markup=False,
            )
            return
        self.switch_mode("sweep")

    def open_sweep(self, folder: SweepFolder) -> None:
        """Shows the sweep in ``folder``: its runs, live-updating."""
        self._sweep = folder
        self.switch_mode("sweep")
        if self.sweep_screen is not None:
            self.sweep_screen.show_sweep(folder)

    @on(OpenSweepRequested)
    def _open_sweep_requested(self, message: OpenSweepRequested) -> None:
        self.open_sweep(message.folder)

    # -- runs --------------------------------------------------------------------------------

    @staticmethod
    def _key(ws: Workspace) -> str:
        return str(ws.root.resolve())

    def _open_at_start_now(self) -> RunFeed | None:
        """Starts the feed of the run the app was opened on (once)."""
        from jitskit_tui.tui.run.links import LiveLink, link_for

        ws, self._open_at_start = self._open_at_start, None
        engine, self._engine_at_start = self._engine_at_start, None
        if engine is not None:
            live = self.live = LiveLink(engine)
            return self._start_feed(live)
        if ws is None:
            return None
        try:
            link = link_for(ws)
        except OSError as exc:
            # Said once a screen is up (this may run while the first one is made).
            message = f"{ws.root}: the run cannot be opened: {exc}"
            self.call_later(self.notify, message, severity="error", markup=False)
            return None
        return self._start_feed(link)

    def _show_feed(self, feed: RunFeed) -> None:
        self.switch_mode("dashboard")
        assert self.dashboard is not None
        self.dashboard.show_feed(feed)

    def show_link(self, link: RunLink) -> RunFeed:
        """Shows a run through ``link`` (in a new feed) and starts the feed."""
        feed = self._start_feed(link)
        self._show_feed(feed)
        return feed

    def _start_feed(self, link: RunLink) -> RunFeed:
        """A new feed for ``link``, its events coming in (not shown yet)."""
        from jitskit_tui.tui.run.feed import RunFeed

        feed = RunFeed(link)
        feed.on_arrival = self._wake
        self.feeds[self._key(link.ws)] = feed
        self.run_worker(
            link.feed(feed.push, feed.notice),
            group="run-feed",
            name=f"run {link.ws.name}",
            exit_on_error=False,
        )
        return feed

    def open_run(self, ws: Workspace) -> None:
        """Shows a run: the feed this app has for it, else attached or replayed."""
        from jitskit_tui.tui.run.links import link_for

        existing = self.feeds.get(self._key(ws))
        if existing is not None and existing.link.kind != "replay" and not existing.link.ended:
            self._show_feed(existing)
            return
        try:
            link = link_for(ws)
        except OSError as exc:
            self.notify(f"{ws.root}: the run cannot be opened: {exc}", severity="error")
            return
        self.show_link(link)

    @on(OpenRunRequested)
    def _open_requested(self, message: OpenRunRequested) -> None:
        self.open_run(message.workspace)

    def _live_elsewhere(self) -> bool:
        """True (and says so) when this app already runs an engine."""
        live = self.live
        if live is None or live.ended:
            return False
        self.notify(
            f"Run {live.ws.name} is live in this app: stop it (S) or abort it (Shift+A) "
            "first, or start this one headless in another terminal (`jitskit run --headless`).",
            severity="warning",
            timeout=10,
            markup=False,
        )
        return True

    def _defaults(self) -> RunChoices:
        from dataclasses import replace

        from jitskit_tui.launch.choices import RunChoices

        if self._run_defaults is not None:
            where = self.workspaces or self._run_defaults.workspaces
            return replace(self._run_defaults, workspaces=where)
        return RunChoices(workspaces=self.workspaces)

    @on(RunRequested)
    def _run_requested(self, message: RunRequested) -> None:
        if not self._live_elsewhere():
            self.run_worker(self._start_flow(message), group="launch", exit_on_error=False)

    async def _start_flow(self, message: RunRequested) -> None:
        import asyncio
        from dataclasses import replace

        from jitskit_tui.agents.registry import default_agent_name
        from jitskit_tui.launch.choices import LaunchError
        from jitskit_tui.launch.runs import start_run
        from jitskit_tui.tui.card_file import display_path
        from jitskit_tui.tui.screens.start_run import StartRunDialog

        spec = message.spec
        defaults = self._defaults()
        if defaults.agent is None:  # not chosen: the card's, else the default one
            defaults = replace(defaults, agent=spec.loop.agent or default_agent_name())
        choices = await self.push_screen_wait(
            StartRunDialog(
                f"Run {display_path(message.path)}",
                defaults,
                budget_hint=f"{spec.loop.iterations} (the card's)",
                machine_hint=f"{spec.environment.machine} (the card's)",
            )
        )
        if choices is None:
            return
        self.notify("Making the run's workspace…", timeout=3)
        try:
            engine = await asyncio.to_thread(start_run, message.path, choices)
        except LaunchError as exc:
            self.notify(str(exc), title="The run cannot start", severity="error", timeout=15)
            return
        self._open_live(engine)

    @on(ResumeRequested)
    def _resume_requested(self, message: ResumeRequested) -> None:
        if not self._live_elsewhere():
            self.run_worker(self._resume_flow(message), group="launch", exit_on_error=False)

    async def _resume_flow(self, message: ResumeRequested) -> None:
        import asyncio
        from dataclasses import replace

        from jitskit_tui.launch.choices import LaunchError
        from jitskit_tui.launch.runs import recorded_choices, resume_run
        from jitskit_tui.sweep.setup import in_its_sweep
        from jitskit_tui.tui.screens.start_run import StartRunDialog

        ws = message.workspace
        try:
            recorded, state = await asyncio.to_thread(recorded_choices, ws)
        except LaunchError as exc:
            self.notify(str(exc), severity="error", timeout=12, markup=False)
            return
        defaults = replace(
            recorded,
            fork_from=message.fork_from,
            baselines=self._defaults().baselines,
            workspaces=self.workspaces,
        )
        fork = f" from iteration {message.fork_from}" if message.fork_from is not None else ""
        budget = state.iterations_budget
        if state.completed >= budget:
            defaults = replace(defaults, iterations=state.completed + 1)
        choices = await self.push_screen_wait(
            StartRunDialog(
                f"{'Fork' if fork else 'Resume'} {ws.name}{fork}",
                defaults,
                budget_hint=f"{budget} (total, {state.completed} done)",
                machine_hint=state.machine or "the card's",
                start_label="Fork" if fork else "Resume",
                resuming=True,
            )
        )
        if choices is None:
            return
        try:
            engine = await asyncio.to_thread(resume_run, ws, in_its_sweep(ws.root, choices))
        except LaunchError as exc:
            self.notify(str(exc), title="The run cannot resume", severity="error", timeout=15)
            return
        self._open_live(engine)

    def _open_live(self, engine: Engine) -> None:
        from jitskit_tui.tui.run.links import LiveLink

        link = LiveLink(engine)
        self.live = link
        self.show_link(link)

    # -- folding events --------------------------------------------------------------------

    def _wake(self) -> None:
        timer = self._drain_timer
        if timer is None or self._draining:
            return
        self._draining = True
        timer.resume()
        if time.monotonic() - self._last_drain >= DRAIN_INTERVAL_S:
            # The first events after a quiet spell are folded now, not at the timer's next
            # tick (up to an interval away): a replay's first frame comes that much sooner.
            self.call_next(self._drain)

    def _drain(self) -> None:
        self._last_drain = time.monotonic()
        waiting = False
        dashboard = self.dashboard
        for feed in self.feeds.values():
            feed.drain()
            waiting = waiting or feed.backlog > 0
        if dashboard is not None and dashboard.feed is not None:
            dashboard.catch_up()
        if not waiting and self._drain_timer is not None:
            self._drain_timer.pause()
            self._draining = False

    # -- failures and quitting --------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR and worker.error is not None:
            self.notify(
                f"{worker.name or worker.group}: {worker.error!r}",
                title="Something went wrong",
                severity="error",
                timeout=15,
                markup=False,
            )

    async def action_quit(self) -> None:
        """Quits, first asking to save a modified card and whether to end a live run."""
        from jitskit_tui.tui.screens.confirm import ConfirmDialog
        from jitskit_tui.tui.screens.dialogs import UnsavedChanges

        if isinstance(self.screen, UnsavedChanges | ConfirmDialog):
            return  # already asking
        live = self.live if self.live is not None and not self.live.ended else None
        editor = self.editor
        if live is None and (editor is None or not editor.dirty):
            self.exit()
            return
        self.run_worker(self._quit_when_settled(), group="quit", exit_on_error=False)

    async def _quit_when_settled(self) -> None:
        from jitskit_tui.tui.screens.confirm import ConfirmDialog

        editor = self.editor
        if editor is not None and not await editor.settle_unsaved("quitting"):
            return
        live = self.live if self.live is not None and not self.live.ended else None
        if live is not None:
            sure = await self.push_screen_wait(
                ConfirmDialog(
                    f"Run {live.ws.name} is live in this app",
                    "Quitting aborts it; everything written so far is kept, and it can be "
                    f"resumed later (R in the runs browser, or `jitskit resume {live.ws.name}`).",
                    "Abort and quit",
                    danger=True,
                )
            )
            if not sure:
                return
            self.notify("Aborting the run…", timeout=20)
            await live.shut_down()
        self.exit()


class SweepFirstApp(JitskitApp):
    """The app opened on a sweep: its runs first (Enter opens one's dashboard)."""

    DEFAULT_MODE = "sweep"


class RunFirstApp(JitskitApp):
    """The app opened on a run: the dashboard is the first screen, and the editor is
    built only when asked for (F3), so a review starts as fast as it can."""

    DEFAULT_MODE = "dashboard"


def _run_named(target: Path) -> Workspace | None:
    """The run ``target`` names (a workspace folder, or a run's name under workspaces/),
    or None when it names a card."""
    from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace

    if (target / ".jitskit" / "events.jsonl").is_file():
        return Workspace(target)
    if target.exists() or target.suffix in (".yaml", ".yml"):
        return None
    try:
        return find_workspace(str(target))
    except WorkspaceError:
        return None


def make_app(
    target: Path | None = None,
    *,
    cursor_blink: bool = True,
    engine: Engine | None = None,
    run_defaults: RunChoices | None = None,
    workspaces: Path | None = None,
) -> JitskitApp:
    """The app on a card, on a sweep (its folder: the sweep's runs first), or on a run (a
    workspace folder: the dashboard opens on it, the editor on the demo card); with
    ``engine``, on that run going live in the app (the editor on ``target``, a card); the
    CLI and the tests build it the same way."""
    from jitskit_tui.sweep.folder import sweep_named

    spec = target if target is not None else default_spec()
    sweep = sweep_named(str(target)) if target is not None and engine is None else None
    run = _run_named(target) if target is not None and engine is None and not sweep else None
    if run is not None or sweep is not None:
        spec = default_spec()
    kind: type[JitskitApp] = (
        SweepFirstApp
        if sweep is not None
        else RunFirstApp
        if run is not None or engine is not None
        else JitskitApp
    )
    return kind(
        spec,
        cursor_blink=cursor_blink,
        run=run,
        engine=engine,
        run_defaults=run_defaults,
        workspaces=workspaces,
        sweep=sweep,
    )
