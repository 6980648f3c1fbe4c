"""Files in and out of a sandbox container as tar archives built in memory.

Archives move only through the container's volumes: the daemon refuses uploads
elsewhere on a read-only root and does not see into a tmpfs such as ``/tmp``.
Downloads are extracted with tarfile's ``data`` filter: a candidate cannot plant links
or device files, or write outside the destination, through what it leaves behind.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from jitskit_tui.machine.recipe import SANDBOX_GID, SANDBOX_UID
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import MachineError


def volume_root(
    path_text: str, mounts: Sequence[str], label: str, verb: str
) -> tuple[str, PurePosixPath]:
    """The volume mount that holds ``path_text`` and the path inside it.

    Archives move only through the volumes: the daemon refuses uploads elsewhere on a
    read-only root and does not see into a tmpfs such as ``/tmp``.
    """
    path = PurePosixPath(os.path.normpath(path_text)) if path_text.startswith("/") else None
    for root in mounts:
        if path is not None and (
            path == PurePosixPath(root) or PurePosixPath(root) in path.parents
        ):
            return root, path.relative_to(root)
    where = " and ".join(mounts)
    raise MachineError(
        label,
        f"cannot {verb} {path_text}: files move in and out of the sandbox only under {where}",
        f"use a path under {LAYOUT.work}",
    )


def _owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid, info.gid = SANDBOX_UID, SANDBOX_GID
    info.uname = info.gname = ""
    return info


def tar_directory(src_dir: Path, prefix: PurePosixPath) -> bytes:
    """The contents of ``src_dir`` under ``prefix``, owned by the sandbox user, in memory."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        parts = prefix.parts
        for depth in range(1, len(parts) + 1):
            entry = tarfile.TarInfo("/".join(parts[:depth]))
            entry.type = tarfile.DIRTYPE
            entry.mode = 0o755
            entry.mtime = int(time.time())
            tar.addfile(_owned(entry))
        for path in sorted(src_dir.rglob("*")):
            relative = path.relative_to(src_dir).as_posix()
            name = f"{prefix.as_posix()}/{relative}" if parts else relative
            if not (path.is_symlink() or path.is_dir() or path.is_file()):
                continue  # sockets, fifos, devices: nothing a build needs
            info = tar.gettarinfo(str(path), arcname=name)
            _owned(info)
            if info.isreg():
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return buffer.getvalue()


def extract_archive(payload: bytes, dest_dir: Path) -> None:
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(payload), mode="r:") as tar:
        members = tar.getmembers()
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest_dir, members=members, filter="data")
            return
        root = dest_dir.resolve()
        safe = []
        for member in members:
            target = (dest_dir / member.name).resolve()
            if root != target and root not in target.parents:
                continue
            if member.issym() or member.islnk() or member.isdev():
                continue
            safe.append(member)
        tar.extractall(dest_dir, members=safe)
