"""What this host is, read before an evaluation builds anything.

The local machine's facts come from here; machines that run elsewhere (a Docker host, a
Slurm node) read the same things there. Every field is read on its own, so one that
cannot be read stays unknown without hiding the others.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import subprocess
from pathlib import Path
from typing import Literal

from jitskit_tui.protocol.results import MachineFacts

Medium = Literal["disk", "tmpfs", "unknown"]

# Filesystems that live in memory: a data volume on one does not survive power loss.
MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs", "shm"})


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key = line.split(":", 1)[0].strip()
            # x86 says "model name"; Arm kernels "Hardware" or "Model".
            if key in ("model name", "Hardware", "Model", "cpu model"):
                return line.split(":", 1)[1].strip()
    return platform.machine() or "unknown"


def memory_bytes() -> int:
    """The host's memory, or this process's cgroup limit when that is lower (a
    container or a Slurm step): what a sandbox opened here can have at most."""
    total = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
    limit = _cgroup_memory_limit()
    return min(total, limit) if total and limit else total


def _cgroup_memory_limit() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                raw = (Path("/sys/fs/cgroup") / line[3:].lstrip("/") / "memory.max").read_text()
                return 0 if raw.strip() == "max" else int(raw)
    return 0


def kernel() -> str:
    """``Linux 6.1.0-18-amd64 x86_64``, as the harness spells it."""
    uname = os.uname()
    return f"{uname.sysname} {uname.release} {uname.machine}"


@functools.lru_cache(maxsize=4)
def compiler(cxx: str = "g++") -> str:
    """``gcc 12.2.0``, as the harness spells it, or ``unknown`` (asked once a process)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            [cxx, "-dumpfullversion", "-dumpversion"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        if out:
            return f"{'clang' if 'clang' in cxx else 'gcc'} {out}"
    return "unknown"


def filesystem_of(path: Path) -> str:
    """The type of the filesystem ``path`` is on (``ext4``, ``tmpfs``), from the mount
    table: the longest mount point that holds it."""
    target = str(path.resolve())
    best, kind = "", "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) < 3:
                continue
            point = fields[1].replace("\\040", " ")
            inside = target == point or target.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, kind = point, fields[2]
    return kind


def data_facts(path: Path) -> tuple[Medium, int]:
    """What backs a data volume made under ``path``, and its free space in bytes."""
    kind = filesystem_of(path)
    free = 0
    with contextlib.suppress(OSError):
        stat = os.statvfs(path)
        free = stat.f_bavail * stat.f_frsize
    medium: Medium = (
        "unknown" if kind == "unknown" else "tmpfs" if kind in MEMORY_FILESYSTEMS else "disk"
    )
    return medium, free


def this_host(label: str, data_under: Path) -> MachineFacts:
    """This host's facts, for a sandbox whose data volume is made under ``data_under``."""
    cpus = sorted(os.sched_getaffinity(0))
    medium, free = data_facts(data_under)
    return MachineFacts(
        cpu_model=cpu_model(),
        cpu_count=len(cpus),
        memory_bytes=memory_bytes(),
        kernel=kernel(),
        compiler=compiler(),
        host=label,
        cpu_ids=cpus,
        data_medium=medium,
        data_free_bytes=free,
    )
