"""App-level messages: what one screen asks of the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from jitskit_tui.engine.workspace import Workspace
    from jitskit_tui.spec import SpecCard
    from jitskit_tui.sweep.folder import SweepFolder


@dataclass
class RunRequested(Message):
    """The user asked to run a card that is valid and saved at ``path``.

    The seam between the editor and the refinement loop: the editor posts it (see
    ``EditorScreen.request_run``, Ctrl+R); the app asks how to run it and starts the
    engine in this process.
    """

    path: Path
    spec: SpecCard


@dataclass
class ResumeRequested(Message):
    """The user asked to continue a run that no engine holds, in this app (optionally
    forking it from an iteration)."""

    workspace: Workspace
    fork_from: int | None = None


@dataclass
class OpenRunRequested(Message):
    """The user chose a run in the browser: review it, or attach to it when it is live."""

    workspace: Workspace


@dataclass
class OpenSweepRequested(Message):
    """The user chose a sweep in the browser: show its runs."""

    folder: SweepFolder
