"""``jitskit image``: the benchmark image on a Docker host."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from jitskit_tui.machine.builder import BUILD_TIMEOUT_S, Route, build_image, present
from jitskit_tui.machine.debootstrap import ImageBuildError
from jitskit_tui.machine.recipe import RECIPE
from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.docker import open_machine
from jitskit_tui.sandbox.docker_connect import Connection, connect

MACHINE_HELP = (
    "Docker host: tcp://HOST:PORT, ssh://USER@HOST[:PORT], unix:///PATH, a docker context "
    "name, or `default` (DOCKER_HOST, else the local socket)."
)


def _fail(message: str, hint: str = "") -> NoReturn:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"  next: {hint}", err=True)
    sys.exit(1)


def _connect(machine: str) -> Connection:
    target = open_machine(machine)
    return connect(target.endpoint, ssh_config=target.ssh_config)


@click.group("image")
def image() -> None:
    """The benchmark image evaluations run in on a Docker host."""


@image.command("build")
@click.option("--machine", default="default", show_default=True, help=MACHINE_HELP)
@click.option(
    "--route",
    type=click.Choice(["auto", "dockerfile", "debootstrap"]),
    default="auto",
    show_default=True,
    help="dockerfile: the host pulls a Debian base image; debootstrap: a root filesystem "
    "made here (needs root and debootstrap) is imported; auto: dockerfile when the host "
    "can pull, otherwise debootstrap.",
)
@click.option(
    "--mirror",
    default=None,
    help="Debian archive URL for debootstrap (default: this machine's apt configuration).",
)
@click.option(
    "--scratch",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for debootstrap's temporary root filesystem (default: TMPDIR).",
)
@click.option("--force", is_flag=True, help="Rebuild even when the host has the image.")
def build(machine: str, route: str, mirror: str | None, scratch: Path | None, force: bool) -> None:
    """Builds the benchmark image (compiler and baseline libraries) on a Docker host."""
    chosen: Route = "auto"
    if route in ("dockerfile", "debootstrap"):
        chosen = "dockerfile" if route == "dockerfile" else "debootstrap"
    try:
        conn = _connect(machine)
    except MachineError as exc:
        _fail(f"{exc.machine}: {exc.message}", exc.hint)
    try:
        click.echo(f"image {RECIPE.tag} on {conn.endpoint.label}")
        api = conn.client(BUILD_TIMEOUT_S)
        try:
            built = build_image(
                api,
                route=chosen,
                progress=lambda line: click.echo(f"  {line}"),
                mirror=mirror,
                scratch=scratch,
                force=force,
            )
        finally:
            api.close()
    except ImageBuildError as exc:
        _fail(exc.message, exc.hint)
    except MachineError as exc:
        _fail(f"{exc.machine}: {exc.message}", exc.hint)
    except Exception as exc:
        error = conn.explain(exc, "building the image")
        _fail(f"{error.machine}: {error.message}", error.hint)
    finally:
        conn.close()
    size_mib = built.size_bytes / (1 << 20)
    if built.reused:
        click.echo(f"{built.tag} is already there ({size_mib:.0f} MiB, {built.route} route)")
    else:
        click.echo(
            f"built {built.tag} by {built.route} in {built.seconds:.0f} s ({size_mib:.0f} MiB)"
        )


@image.command("status")
@click.option("--machine", default="default", show_default=True, help=MACHINE_HELP)
def status(machine: str) -> None:
    """Says whether a Docker host has the benchmark image this version needs."""
    try:
        conn = _connect(machine)
    except MachineError as exc:
        _fail(f"{exc.machine}: {exc.message}", exc.hint)
    try:
        found = present(conn.api, RECIPE.tag)
    except Exception as exc:
        error = conn.explain(exc, "looking for the image")
        _fail(f"{error.machine}: {error.message}", error.hint)
    finally:
        conn.close()
    if found is None:
        _fail(
            f"{conn.endpoint.label} does not have {RECIPE.tag}",
            f"run `jitskit image build --machine {machine}`",
        )
    size_mib = int(found.get("Size") or 0) / (1 << 20)
    click.echo(f"{RECIPE.tag} is on {conn.endpoint.label} ({size_mib:.0f} MiB)")
