"""The command palette's list of the app's own commands: the app's, then the current
screen's, with their keys; the same tables as the bindings and the help screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from jitskit_tui.tui.keymap import APP_KEYS, KeyArea, KeyCommand


class KeyCommands(Provider):
    """Every palette-worthy :class:`KeyCommand` of the app and of the screen below."""

    def _areas(self) -> tuple[KeyArea, ...]:
        screen_areas: tuple[KeyArea, ...] = getattr(self.screen, "COMMAND_AREAS", ())
        return (APP_KEYS, *screen_areas)

    def _commands(self) -> Iterator[tuple[KeyCommand, Callable[[], object]]]:
        for area in self._areas():
            for command in area.commands:
                if command.palette and command.action and self._available(command.action):
                    yield command, partial(self._run, command.action)

    def _available(self, action: str) -> bool:
        # The same test the footer uses: a screen hides what does not apply right now.
        if action.startswith("app."):
            return self.app.check_action(action.removeprefix("app."), ()) is not False
        return self.screen.check_action(action, ()) is not False

    async def _run(self, action: str) -> None:
        if action.startswith("app."):
            await self.app.run_action(action)
        else:
            await self.screen.run_action(action)

    @staticmethod
    def _help(command: KeyCommand) -> str:
        keys = command.key_label()
        return f"{keys} · {command.help}" if keys else command.help

    async def discover(self) -> Hits:
        for command, run in self._commands():
            yield DiscoveryHit(command.title, run, help=self._help(command))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, run in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), run, help=self._help(command))
