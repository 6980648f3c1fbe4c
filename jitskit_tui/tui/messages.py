"""App-level messages: what one screen asks of the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from jitskit_tui.spec import SpecCard


@dataclass
class RunRequested(Message):
    """The user asked to run a card that is valid and saved at ``path``.

    The seam between the editor and the refinement loop: the editor posts it (see
    ``EditorScreen.request_run``); the app starts the loop on it once the engine exists.
    Nothing handles it yet, so nothing offers to send it yet.
    """

    path: Path
    spec: SpecCard
