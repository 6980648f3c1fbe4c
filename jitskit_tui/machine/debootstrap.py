"""The route for Docker hosts that cannot pull a base image: a root filesystem made here
with debootstrap (minbase, the recipe's packages and their dependencies, no
recommends), trimmed, tarred and imported into the daemon through the SDK.

The Debian mirror comes from this machine's apt configuration (or ``--mirror``); the
project names none. The root filesystem is built on this machine, so the daemon can be
remote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker

from jitskit_tui.machine.apt_sources import debian_mirror
from jitskit_tui.machine.recipe import (
    IMAGE_REPOSITORY,
    LABEL_RECIPE,
    LABEL_ROUTE,
    ImageRecipe,
)

Progress = Callable[[str], None]
DEBOOTSTRAP_TIMEOUT_S = 3600.0


class ImageBuildError(Exception):
    """The image could not be built; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


def debootstrap_ready() -> str | None:
    """Why the debootstrap route cannot run here, or ``None`` when it can."""
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (apt-get install debootstrap)"
    if os.geteuid() != 0:
        return "debootstrap needs root: run `jitskit image build` as root (or with sudo)"
    return None


def choose_mirror(recipe: ImageRecipe, mirror: str | None) -> str:
    if mirror:
        return mirror
    source = debian_mirror(recipe.suite)
    if source is None:
        raise ImageBuildError(
            "no Debian archive in this machine's apt configuration "
            "(/etc/apt/sources.list, /etc/apt/sources.list.d/)",
            "pass --mirror with the Debian archive URL you use",
        )
    return source.uri


class _Condensed:
    """debootstrap says one line per package and phase (hundreds): pass on the first line
    of each phase, then every 25th with a count, and everything that is not a phase line."""

    PHASES = ("I: Retrieving ", "I: Validating ", "I: Extracting ", "I: Unpacking ",
              "I: Configuring ")  # fmt: skip

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._counts: dict[str, int] = {}

    def __call__(self, line: str) -> None:
        phase = next((p for p in self.PHASES if line.startswith(p)), "")
        if not phase:
            self._progress(line)
            return
        count = self._counts[phase] = self._counts.get(phase, 0) + 1
        if count == 1 or count % 25 == 0:
            self._progress(line + (f" ({count} so far)" if count > 1 else ""))


def make_rootfs(recipe: ImageRecipe, rootfs: Path, mirror: str, progress: Progress) -> None:
    """Runs debootstrap into ``rootfs``, then trims it and adds the sandbox user."""
    argv = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(recipe.packages)}",
        recipe.suite,
        str(rootfs),
        mirror,
    ]
    progress(f"debootstrap {recipe.suite} from {mirror} ({len(recipe.packages)} packages)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    assert proc.stdout is not None
    watchdog = threading.Timer(DEBOOTSTRAP_TIMEOUT_S, proc.kill)
    watchdog.start()
    report = _Condensed(progress)
    tail: list[str] = []
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            tail = [*tail[-19:], line]
            report(line)
        code = proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if code != 0:
        log = rootfs / "debootstrap" / "debootstrap.log"
        detail = "\n".join(tail[-5:])
        raise ImageBuildError(
            f"debootstrap failed with status {code}: {detail}",
            f"see {log} if it exists; check the mirror {mirror} answers",
        )
    trim_rootfs(recipe, rootfs)


def trim_rootfs(recipe: ImageRecipe, rootfs: Path) -> None:
    for relative in recipe.trimmed:
        directory = rootfs / relative
        if not directory.is_dir():
            continue
        for child in directory.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
    # The daemon provides these at run time; the builder's copies do not belong in it.
    for relative in ("etc/hostname", "etc/resolv.conf"):
        (rootfs / relative).unlink(missing_ok=True)
    with (rootfs / "etc" / "passwd").open("a") as passwd:
        passwd.write(recipe.passwd_line() + "\n")
    with (rootfs / "etc" / "group").open("a") as group:
        group.write(recipe.group_line() + "\n")
    for owned in recipe.owned_dirs:
        path = rootfs / owned.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, recipe.uid, recipe.gid)
        path.chmod(0o755)


def tar_rootfs(rootfs: Path, out: Path) -> int:
    """Writes the root filesystem as a tar (numeric owners, hard links kept); its size."""

    def numeric(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = info.name
        # /dev, /proc and /sys are mounted by the runtime: keep the directories only.
        for mounted in ("dev/", "proc/", "sys/"):
            if name.startswith(mounted):
                return None
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for child in sorted(rootfs.iterdir()):
            tar.add(str(child), arcname=child.name, recursive=True, filter=numeric)
    return out.stat().st_size


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while True:
            block = handle.read(size)
            if not block:
                return
            yield block


def import_rootfs(
    api: docker.APIClient, recipe: ImageRecipe, archive: Path, progress: Progress
) -> str:
    """Imports the tar as the recipe's image; returns the image id."""
    tag = recipe.tag.split(":", 1)[1]
    changes = [
        *recipe.image_changes(),
        f"LABEL {LABEL_RECIPE}={recipe.digest()}",
        f"LABEL {LABEL_ROUTE}=debootstrap",
    ]
    progress(f"importing {archive.stat().st_size >> 20} MiB as {recipe.tag}")
    api.import_image_from_stream(
        _chunks(archive), repository=IMAGE_REPOSITORY, tag=tag, changes=changes
    )
    image: dict[str, Any] = api.inspect_image(recipe.tag)  # type: ignore[no-untyped-call]
    return str(image["Id"])


def build_with_debootstrap(
    api: docker.APIClient,
    recipe: ImageRecipe,
    progress: Progress,
    *,
    mirror: str | None = None,
    scratch: Path | None = None,
) -> str:
    """The whole route: root filesystem, tar, import. Returns the image id. Blocking."""
    problem = debootstrap_ready()
    if problem is not None:
        raise ImageBuildError(
            f"cannot use the debootstrap route: {problem}",
            f"or build where the Docker host can pull {recipe.base_image} (--route dockerfile)",
        )
    source = choose_mirror(recipe, mirror)
    workdir = Path(tempfile.mkdtemp(prefix="jitskit-image-", dir=scratch))
    try:
        rootfs = workdir / "rootfs"
        make_rootfs(recipe, rootfs, source, progress)
        archive = workdir / "rootfs.tar"
        progress("packing the root filesystem")
        tar_rootfs(rootfs, archive)
        shutil.rmtree(rootfs, ignore_errors=True)
        return import_rootfs(api, recipe, archive, progress)
    except OSError as exc:
        if exc.errno == 28:  # ENOSPC
            raise ImageBuildError(
                f"out of disk space in {workdir}: {exc}",
                "free space there or set TMPDIR to a larger disk",
            ) from exc
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
