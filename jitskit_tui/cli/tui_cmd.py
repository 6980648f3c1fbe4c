"""`jitskit tui [SPEC|RUN|SWEEP]`: the terminal app, on a card (by default specs/demo.yaml),
on a run (its dashboard) or on a sweep (its runs)."""

from __future__ import annotations

import gc
from pathlib import Path

import click

from jitskit_tui.paths import default_spec


def launch_tui(target: Path | None) -> None:
    """Runs the app on ``target`` (a card or a run; the demo card when None) until the user
    quits.

    Textual is imported here, not at module level, so the headless commands never pay
    for it. A card that is missing or unreadable opens an empty editor with a notice.
    """
    quiet_collector()
    from jitskit_tui.tui.app import make_app

    make_app(target if target is not None else default_spec()).run()


def quiet_collector() -> None:
    """Keeps the garbage collector out of the app's start: loading Textual, the models and
    the first screen makes many objects and few cycles, and collections among them cost
    a tenth of the time to the first frame. The app turns it back on once mounted
    (freezing what start-up made)."""
    gc.disable()


@click.command("tui")
@click.argument(
    "target", metavar="[SPEC|RUN|SWEEP]", required=False, type=click.Path(path_type=Path)
)
def tui(target: Path | None) -> None:
    """Open the app on a spec card or on a run.

    SPEC is a card's YAML file (default: specs/demo.yaml): the editor opens on it, to
    edit, check and start it.

    RUN is a run: its workspace folder, or its name under workspaces/ (as `jitskit runs`
    lists them). Its dashboard opens: attached and steerable while the run is live in
    another process, else replayed from its log for review (R resumes it).

    SWEEP is a sweep's folder (`jitskit sweep --workspace DIR`): its runs are listed, kept
    current from their logs; Enter opens one's dashboard, Space pauses the sweep.
    """
    launch_tui(target)
