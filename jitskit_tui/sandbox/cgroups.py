"""Resource limits on this host through cgroups (v2, or v1's memory/cpuset/pids).

A sandboxed command is started by a shell that first moves itself into the group, so
every process it forks is limited and accounted from its first instruction. Groups are
named ``jitskit-<client pid>-<n>`` so that a later client can reap the groups of one
that died without cleaning up.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_NAME = re.compile(r"^jitskit-(\d+)-\d+$")


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _cgroup_v2() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").exists()


@dataclass
class ResourceGroup:
    """A cgroup (one directory per controller on v1) limiting one evaluation."""

    name: str
    dirs: list[Path] = field(default_factory=list)
    memory_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)
    memory_limited: bool = False
    cpuset_applied: bool = False
    pids_limited: bool = False

    @property
    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in self.dirs]

    def oom_killed(self) -> bool:
        """Whether the kernel's OOM killer ended a process of this group."""
        if self.memory_dir is None:
            return False
        for name in ("memory.events", "memory.oom_control"):
            try:
                text = (self.memory_dir / name).read_text()
            except OSError:
                continue
            match = re.search(r"^oom_kill (\d+)$", text, re.MULTILINE)
            if match and int(match.group(1)) > 0:
                return True
        return False

    def unreclaimable_memory(self) -> int | None:
        """Memory the group holds now that is not file cache: anonymous memory, shmem,
        tmpfs files, every process of the group's. File cache (the store's own log
        pages) is left out: the kernel reclaims it under pressure."""
        if self.memory_dir is None:
            return None
        usage = None
        for name in ("memory.current", "memory.usage_in_bytes"):
            usage = _read_int(self.memory_dir / name)
            if usage is not None:
                break
        if usage is None:
            return None
        try:
            stat = (self.memory_dir / "memory.stat").read_text()
        except OSError:
            return None
        file_pages = 0
        for line in stat.splitlines():
            key, _, value = line.partition(" ")
            if key in ("total_active_file", "total_inactive_file") or (
                key in ("active_file", "inactive_file") and _cgroup_v2()
            ):
                file_pages += int(value)
        return max(0, usage - file_pages)

    def kill_all(self) -> None:
        """SIGKILLs every process still in the group, until none is left."""
        for _ in range(50):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def _pids(self) -> set[int]:
        pids: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                pids.update(int(p) for p in procs.read_text().split())
        return pids

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


_counter = 0


def create_group(memory_bytes: int, cpuset: tuple[int, ...] | None, pids: int) -> ResourceGroup:
    """Makes a group with the limits this host can enforce; what it cannot is a warning."""
    global _counter
    _counter += 1
    group = ResourceGroup(name=f"jitskit-{os.getpid()}-{_counter}")
    if _cgroup_v2():
        _setup_v2(group, memory_bytes, cpuset, pids)
    else:
        _setup_v1(group, memory_bytes, cpuset, pids)
    return group


def _setup_v2(group: ResourceGroup, memory: int, cpuset: tuple[int, ...] | None, pids: int) -> None:
    d = CGROUP_ROOT / group.name
    try:
        d.mkdir()
    except OSError as exc:
        group.warnings.append(f"no cgroup could be made ({exc.strerror}); limits not enforced")
        return
    group.dirs.append(d)
    group.memory_dir = d
    try:
        _write(d / "memory.max", str(memory))
        with contextlib.suppress(OSError):
            _write(d / "memory.swap.max", "0")
        group.memory_limited = True
    except OSError:
        group.warnings.append("the memory controller is not delegated here; no memory limit")
    if cpuset:
        try:
            _write(d / "cpuset.cpus", ",".join(map(str, cpuset)))
            group.cpuset_applied = True
        except OSError:
            group.warnings.append("the cpuset controller is not delegated here")
    try:
        _write(d / "pids.max", str(pids))
        group.pids_limited = True
    except OSError:
        group.warnings.append("the pids controller is not delegated here; no process limit")


def _v1_dir(group: ResourceGroup, controller: str) -> Path | None:
    base = CGROUP_ROOT / controller
    if not base.is_dir():
        group.warnings.append(f"no {controller} cgroup controller on this host")
        return None
    d = base / group.name
    try:
        d.mkdir()
    except OSError as exc:
        group.warnings.append(f"cannot make a {controller} cgroup ({exc.strerror})")
        return None
    group.dirs.append(d)
    return d


def _setup_v1(group: ResourceGroup, memory: int, cpuset: tuple[int, ...] | None, pids: int) -> None:
    mem = _v1_dir(group, "memory")
    if mem is not None:
        group.memory_dir = mem
        try:
            _write(mem / "memory.limit_in_bytes", str(memory))
            group.memory_limited = True
            # Swap equal to the limit: memory+swap may not exceed memory alone.
            with contextlib.suppress(OSError):
                _write(mem / "memory.memsw.limit_in_bytes", str(memory))
        except OSError as exc:
            group.warnings.append(f"memory limit not set ({exc.strerror})")
    if cpuset:
        cpu = _v1_dir(group, "cpuset")
        if cpu is not None:
            try:
                parent = cpu.parent
                _write(cpu / "cpuset.mems", (parent / "cpuset.mems").read_text().strip())
                _write(cpu / "cpuset.cpus", ",".join(map(str, cpuset)))
                group.cpuset_applied = True
            except OSError as exc:
                group.warnings.append(f"cpuset not applied ({exc.strerror})")
    pid_dir = _v1_dir(group, "pids")
    if pid_dir is not None:
        try:
            _write(pid_dir / "pids.max", str(pids))
            group.pids_limited = True
        except OSError as exc:
            group.warnings.append(f"pids limit not set ({exc.strerror})")


def reap_orphans() -> list[str]:
    """Removes groups left by jitskit clients that are no longer running."""
    reaped: list[str] = []
    bases = (
        [CGROUP_ROOT] if _cgroup_v2() else [CGROUP_ROOT / c for c in ("memory", "cpuset", "pids")]
    )
    for base in bases:
        with contextlib.suppress(OSError):
            for d in base.iterdir():
                match = _NAME.match(d.name)
                if not match or _alive(int(match.group(1))):
                    continue
                group = ResourceGroup(name=d.name, dirs=[d])
                group.remove()
                reaped.append(str(d))
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
