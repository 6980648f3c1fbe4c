"""Textual's footer, rebuilt only when the keys it shows change.

Textual's footer recomposes (removes and mounts every key, restyles them, lays the
screen out again) whenever the screen's bindings may have changed, which is every time
the focus moves. On the dashboard a pane switch moves the focus between widgets whose
own keys are not in the footer, and that rebuild (tens of milliseconds on a busy
machine) held up the frames after every key press. What it shows is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

ShownKeys = tuple[object, ...]


class KeyFooter(Footer):
    """A :class:`Footer` that skips rebuilding itself into what it already shows."""

    def __init__(self) -> None:
        super().__init__()
        self._composed_for: ShownKeys | None = None

    def _shown_keys(self) -> ShownKeys:
        """Everything :meth:`Footer.compose` builds the keys from."""
        active = self.screen.active_bindings

        def keys() -> Iterator[object]:
            for _node, binding, enabled, tooltip in active.values():
                if binding.show:
                    yield (binding, enabled, tooltip)
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
            yield ("palette", palette[1:] if palette else None)

        return tuple(keys())

    def compose(self) -> ComposeResult:
        self._composed_for = self._shown_keys() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (
            self._composed_for is not None
            and self.is_attached
            and screen is self.screen
            and self._shown_keys() == self._composed_for
        ):
            return
        super().bindings_changed(screen)
