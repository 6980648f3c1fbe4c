"""`jitskit tui [SPEC]`: the terminal app, on a card (by default specs/demo.yaml)."""

from __future__ import annotations

from pathlib import Path

import click

from jitskit_tui.paths import default_spec


def launch_tui(spec: Path | None) -> None:
    """Runs the app on ``spec`` (the demo card when None) until the user quits.

    Textual is imported here, not at module level, so the headless commands never pay
    for it. A card that is missing or unreadable opens an empty editor with a notice.
    """
    from jitskit_tui.tui.app import make_app

    make_app(spec if spec is not None else default_spec()).run()


@click.command("tui")
@click.argument("spec", required=False, type=click.Path(path_type=Path))
def tui(spec: Path | None) -> None:
    """Open the app on SPEC (default: specs/demo.yaml) to edit and check it."""
    launch_tui(spec)
