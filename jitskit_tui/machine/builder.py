"""Building the benchmark image on a Docker host, by the route that works there.

``dockerfile``: the daemon pulls the Debian base image and runs apt in it.
``debootstrap``: this machine makes the root filesystem and imports it (no registry).
``auto``: the Dockerfile when the base image is present or can be pulled, otherwise
debootstrap.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import docker
import docker.errors

from jitskit_tui.machine.debootstrap import ImageBuildError, build_with_debootstrap
from jitskit_tui.machine.recipe import (
    IMAGE_REPOSITORY,
    LABEL_RECIPE,
    LABEL_ROUTE,
    RECIPE,
    ImageRecipe,
)

Route = Literal["dockerfile", "debootstrap", "auto"]
Progress = Callable[[str], None]
BUILD_TIMEOUT_S = 3600.0
"""Socket timeout of the long-running calls (pull, build, import)."""


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    image_id: str
    route: str
    size_bytes: int
    seconds: float
    reused: bool
    """True when the host already had the image and nothing was built."""


def inspect_image(api: docker.APIClient, ref: str) -> dict[str, Any]:
    found: dict[str, Any] = api.inspect_image(ref)  # type: ignore[no-untyped-call]
    return found


def present(api: docker.APIClient, tag: str) -> dict[str, Any] | None:
    try:
        return inspect_image(api, tag)
    except docker.errors.ImageNotFound:
        return None


def _pull_base(api: docker.APIClient, recipe: ImageRecipe, progress: Progress) -> str | None:
    """Pulls the base image; returns why it could not, or ``None`` when it is there."""
    if present(api, recipe.base_image) is not None:
        return None
    repository, _, tag = recipe.base_image.partition(":")
    progress(f"pulling {recipe.base_image}")
    try:
        for event in api.pull(repository, tag=tag or "latest", stream=True, decode=True):
            if "error" in event:
                return str(event["error"])
            status = event.get("status")
            if status and "id" not in event:
                progress(str(status))
    except docker.errors.APIError as exc:
        return str(exc.explanation or exc)
    return None if present(api, recipe.base_image) is not None else "pull did not produce it"


def _context_tar(dockerfile: str) -> io.BytesIO:
    buffer = io.BytesIO()
    data = dockerfile.encode()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _report_build(events: Iterable[dict[str, Any]], progress: Progress) -> None:
    for event in events:
        if "error" in event:
            detail = event.get("errorDetail", {}).get("message") or event["error"]
            raise ImageBuildError(
                f"the Dockerfile build failed: {detail}".strip(), "see the output above"
            )
        text = event.get("stream") or event.get("status")
        if text:
            for line in str(text).splitlines():
                if line.strip():
                    progress(line.rstrip())


def build_with_dockerfile(api: docker.APIClient, recipe: ImageRecipe, progress: Progress) -> str:
    """Builds from the recipe's Dockerfile; returns the image id. Blocking."""
    events = api.build(
        fileobj=_context_tar(recipe.dockerfile()),
        custom_context=True,
        tag=recipe.tag,
        rm=True,
        forcerm=True,
        decode=True,
        timeout=int(BUILD_TIMEOUT_S),
        labels={LABEL_RECIPE: recipe.digest(), LABEL_ROUTE: "dockerfile"},
    )
    _report_build(events, progress)
    image = present(api, recipe.tag)
    if image is None:
        raise ImageBuildError(
            f"the build ended without tagging {recipe.tag}", "see the output above"
        )
    return str(image["Id"])


def build_image(
    api: docker.APIClient,
    *,
    route: Route = "auto",
    progress: Progress = print,
    recipe: ImageRecipe = RECIPE,
    mirror: str | None = None,
    scratch: Path | None = None,
    force: bool = False,
) -> BuiltImage:
    """Makes sure the host has the recipe's image, building it if needed. Blocking.

    ``api`` should have a long timeout (:data:`BUILD_TIMEOUT_S`): pulls, builds and
    imports are single calls that take minutes.
    """
    started = time.monotonic()
    existing = present(api, recipe.tag)
    if existing is not None and not force:
        labels = (existing.get("Config") or {}).get("Labels") or {}
        return BuiltImage(
            tag=recipe.tag,
            image_id=str(existing["Id"]),
            route=str(labels.get(LABEL_ROUTE, "unknown")),
            size_bytes=int(existing.get("Size") or 0),
            seconds=0.0,
            reused=True,
        )
    chosen: str = route
    if route in ("dockerfile", "auto"):
        why_not = _pull_base(api, recipe, progress)
        if why_not is None:
            chosen = "dockerfile"
        elif route == "dockerfile":
            raise ImageBuildError(
                f"the Docker host cannot pull {recipe.base_image}: {why_not}",
                "use --route debootstrap on a machine with debootstrap and root",
            )
        else:
            progress(f"cannot pull {recipe.base_image} ({why_not}); using debootstrap")
            chosen = "debootstrap"
    if chosen == "dockerfile":
        image_id = build_with_dockerfile(api, recipe, progress)
    else:
        image_id = build_with_debootstrap(api, recipe, progress, mirror=mirror, scratch=scratch)
    image = inspect_image(api, image_id)
    # The tag is what evaluations look for; make sure it points at what was just built.
    api.tag(image_id, IMAGE_REPOSITORY, recipe.tag.split(":", 1)[1], force=True)
    if existing is not None and existing["Id"] != image_id:
        # A forced rebuild leaves the previous image untagged: do not keep it around.
        with contextlib.suppress(docker.errors.APIError):
            api.remove_image(str(existing["Id"]))
    return BuiltImage(
        tag=recipe.tag,
        image_id=image_id,
        route=chosen,
        size_bytes=int(image.get("Size") or 0),
        seconds=time.monotonic() - started,
        reused=False,
    )
