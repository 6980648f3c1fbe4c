"""`jitskit validate SPEC...`: check spec cards, one summary or one error per line."""

from __future__ import annotations

from pathlib import Path

import click

from jitskit_tui.spec import SpecError, load_spec


@click.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(specs: tuple[Path, ...]) -> None:
    """Check spec cards. Exit 0 when every card is valid, 2 otherwise.

    A valid card prints one summary line; an invalid one prints PATH:LINE:COL: message
    for every problem.
    """
    failed = False
    for path in specs:
        try:
            spec = load_spec(path)
        except SpecError as err:
            failed = True
            for issue in err.issues:
                click.echo(str(issue), err=True)
            continue
        click.echo(f"{path}: {spec.name}: {spec.summary()}")
    raise SystemExit(2 if failed else 0)
