"""Checking `power_loss` durability from a system-call trace of the durability writer.

The writer marks each upsert with ``access("/.jitskit-op/<thread>/<seq>")`` before the
call and ``access("/.jitskit-ack/<thread>/<seq>")`` after its acknowledgement. In the
trace (``strace -f -y``), every acknowledged upsert needs a sync that covers its data
between the two marks. A sync covers the upsert when it returned before the
acknowledgement and it made durable something written after the upsert began:

- ``fsync``/``fdatasync`` of a data-directory file that was written after the upsert
  began (and before the sync started), or that is mapped shared (stores to a mapping
  make no system call);
- ``msync(MS_SYNC)`` of a range inside a shared mapping of a data-directory file,
  started after the upsert began;
- ``syncfs`` of a data-directory file, or ``sync``, after a write to any data file;
- a write to a data-directory file opened ``O_SYNC`` or ``O_DSYNC``.

``sync_file_range`` never counts: it neither flushes metadata nor the disk's cache.
Every data file the acknowledging thread wrote since the upsert began must be synced
after that write: syncing one file (a manifest) while the log written beside it is
not leaves the upsert undurable. Writes by other threads to other files (per-shard
logs) do not concern it; a thread that wrote nothing relies on a group commit's sync.
A sync of a file outside the data directory, of an anonymous mapping, or one that
started before the data was written covers nothing.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

_LINE = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:[\d:.]+\s+)?(.*)$")
_CALL = re.compile(r"^([a-z_0-9]+)\((.*)$")
_RESUMED = re.compile(r"^<\.\.\. ([a-z_0-9]+) resumed>(.*)$")
_MARK = re.compile(r'"/\.jitskit-(op|ack)/(\d+)/(\d+)"')
_FD = re.compile(r"^(\d+)<([^>]*)>")
_ARG_FD = re.compile(r"\b\d+<([^>]*)>")
_RESULT = re.compile(r"=\s*(0x[0-9a-f]+|-?\d+)(?:<([^>]*)>)?")
_MMAP = re.compile(r"^(?:NULL|0x[0-9a-f]+),\s*(\d+),\s*[^,]*,\s*([^,]*),\s*\d+<([^>]*)>")
_MSYNC = re.compile(r"^(0x[0-9a-f]+),\s*(\d+),\s*([A-Z_|]+)")

_SYNC_FD = {"fsync", "fdatasync"}
_WRITES = {"write", "pwrite64", "writev", "pwritev", "pwritev2", "fallocate", "ftruncate"}
_OPENS = {"open", "openat", "openat2", "creat"}


@dataclass
class _Pending:
    name: str
    args: str
    start: int


@dataclass
class SyncCheck:
    """The outcome of checking one trace."""

    acknowledged: int = 0
    covered: int = 0
    uncovered: list[str] = field(default_factory=list)
    """Human-readable descriptions of the first few acknowledgements without a sync."""
    uncovered_count: int = 0

    @property
    def passed(self) -> bool:
        return self.acknowledged > 0 and not self.uncovered


@dataclass
class _Files:
    """What the trace has shown so far about the data directory's files."""

    data_prefix: str
    writes: dict[str, list[int]] = field(default_factory=dict)
    """Start indices of the writes to each data file, ascending."""
    thread_writes: dict[tuple[int, str], int] = field(default_factory=dict)
    """Start index of each thread's latest write to each data file."""
    synced_upto: dict[str, int] = field(default_factory=dict)
    """For each file, the start index of the latest write a completed sync covers."""
    sync_opened: set[str] = field(default_factory=set)
    shared_maps: list[tuple[int, int, str]] = field(default_factory=list)
    """(start address, end address, path) of shared mappings of data files."""
    map_synced_at: int = 0
    """Start index of the latest completed sync of mapped data (msync, fsync of a map)."""

    def in_data(self, path: str) -> bool:
        return path == self.data_prefix.rstrip("/") or path.startswith(self.data_prefix)

    def mapped(self, path: str) -> bool:
        return any(p == path for _, _, p in self.shared_maps)

    def mapping_at(self, address: int, length: int) -> str | None:
        for start, end, path in self.shared_maps:
            if start <= address and address + length <= end:
                return path
        return None

    def wrote(self, path: str, start: int, durable: bool, tid: int) -> None:
        bisect.insort(self.writes.setdefault(path, []), start)
        key = (tid, path)
        self.thread_writes[key] = max(self.thread_writes.get(key, 0), start)
        if durable:
            self.synced(path, start + 1)

    def synced(self, path: str, sync_start: int) -> None:
        """A sync of ``path`` that started at ``sync_start`` completed."""
        writes = self.writes.get(path, [])
        before = bisect.bisect_left(writes, sync_start)
        if before:
            self.synced_upto[path] = max(self.synced_upto.get(path, 0), writes[before - 1])

    def covered(self, began: int, tid: int) -> bool:
        """Whether the upsert that thread ``tid`` began at ``began`` is durable.

        Every data file the thread itself wrote since then must be synced after that
        write. A thread that wrote nothing (a group commit wrote for it, or it stores into
        a mapping) needs some data synced that was written after it began.
        """
        own = [
            (path, at)
            for (writer, path), at in self.thread_writes.items()
            if writer == tid and at > began
        ]
        if own:
            return all(self.synced_upto.get(path, 0) >= at for path, at in own)
        return self.map_synced_at > began or any(upto > began for upto in self.synced_upto.values())


def check_sync_before_ack(trace: str, data_dir: str, max_examples: int = 3) -> SyncCheck:
    """Checks every acknowledged upsert in ``trace`` was covered by a sync of its data."""
    files = _Files(data_prefix=data_dir.rstrip("/") + "/")
    pending: dict[int, _Pending] = {}
    op_start: dict[tuple[str, str], int] = {}
    result = SyncCheck()

    def finish(name: str, args: str, rest: str, start: int, tid: int) -> None:
        ret = _RESULT.search(rest)
        if ret is None or ret.group(1).startswith("-"):
            return
        fd = _FD.match(args)
        path = fd.group(2) if fd else ""
        if name in _OPENS:
            opened = ret.group(2) or ""
            if files.in_data(opened) and re.search(r"\bO_D?SYNC\b", args):
                files.sync_opened.add(opened)
            return
        if name == "mmap":
            mapping = _MMAP.match(args)
            if mapping and "MAP_SHARED" in mapping.group(2) and files.in_data(mapping.group(3)):
                address = int(ret.group(1), 16)
                files.shared_maps.append(
                    (address, address + int(mapping.group(1)), mapping.group(3))
                )
            return
        if name in _WRITES and files.in_data(path):
            durable = path in files.sync_opened and name != "ftruncate"
            files.wrote(path, start, durable, tid)
            return
        if name in _SYNC_FD and files.in_data(path):
            files.synced(path, start)
            if files.mapped(path):
                files.map_synced_at = max(files.map_synced_at, start)
        elif (name == "syncfs" and files.in_data(path)) or name == "sync":
            for written in list(files.writes):
                files.synced(written, start)
            if files.shared_maps:
                files.map_synced_at = max(files.map_synced_at, start)
        elif name == "msync":
            call = _MSYNC.match(args)
            if call and "MS_SYNC" in call.group(3).split("|"):
                target = files.mapping_at(int(call.group(1), 16), int(call.group(2)))
                if target is not None:
                    files.map_synced_at = max(files.map_synced_at, start)

    index = 0
    for raw in trace.splitlines():
        index += 1
        match = _LINE.match(raw)
        if not match:
            continue
        pid = int(match.group(1) or match.group(2) or 0)
        body = match.group(3)
        resumed = _RESUMED.match(body)
        if resumed:
            waiting = pending.pop(pid, None)
            if waiting is not None:
                finish(waiting.name, waiting.args, resumed.group(2), waiting.start, pid)
            continue
        call = _CALL.match(body)
        if not call:
            continue
        name, args = call.group(1), call.group(2)
        if name == "access":
            mark = _MARK.search(args)
            if mark:
                kind, thread, seq = mark.groups()
                if kind == "op":
                    op_start[(thread, seq)] = index
                else:
                    began = op_start.pop((thread, seq), None)
                    if began is not None:
                        _judge(result, files.covered(began, pid), thread, seq, max_examples)
                continue
        if body.endswith("<unfinished ...>"):
            pending[pid] = _Pending(name, args, index)
        else:
            finish(name, args, args, index, pid)
    return result


def _judge(result: SyncCheck, covered: bool, thread: str, seq: str, max_examples: int) -> None:
    result.acknowledged += 1
    if covered:
        result.covered += 1
        return
    result.uncovered_count += 1
    if len(result.uncovered) < max_examples:
        result.uncovered.append(f"thread {thread} write #{seq}")
