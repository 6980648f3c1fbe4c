"""Checking `power_loss` durability from a system-call trace of the durability writer.

The writer marks each upsert with ``access("/.jitskit-op/<thread>/<seq>")`` before the
call and ``access("/.jitskit-ack/<thread>/<seq>")`` after its acknowledgement. In the
trace (``strace -f -y``), every acknowledged upsert needs a sync that covers the data
between the two: a call that started after the upsert began and returned before it was
acknowledged, being ``fsync``/``fdatasync`` on a file in the data directory, ``msync``
with ``MS_SYNC``, ``sync``/``syncfs``, or a write to a data file opened ``O_SYNC`` or
``O_DSYNC``. ``sync_file_range`` does not count: it neither flushes metadata nor the
disk's cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:[\d:.]+\s+)?(.*)$")
_CALL = re.compile(r"^([a-z_0-9]+)\((.*)$")
_RESUMED = re.compile(r"^<\.\.\. ([a-z_0-9]+) resumed>(.*)$")
_MARK = re.compile(r'"/\.jitskit-(op|ack)/(\d+)/(\d+)"')
_FD = re.compile(r"^(\d+)<([^>]*)>")
_RESULT = re.compile(r"=\s*(-?\d+)(?:<([^>]*)>)?")

_SYNC_FD = {"fsync", "fdatasync"}
_SYNC_ALL = {"sync", "syncfs"}
_WRITES = {"write", "pwrite64", "writev", "pwritev", "pwritev2"}
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

    @property
    def passed(self) -> bool:
        return self.acknowledged > 0 and not self.uncovered


def check_sync_before_ack(trace: str, data_dir: str, max_examples: int = 3) -> SyncCheck:
    """Checks every acknowledged upsert in ``trace`` was covered by a sync of the data."""
    data_prefix = data_dir.rstrip("/") + "/"
    pending: dict[int, _Pending] = {}
    sync_fds: set[str] = set()  # paths opened with O_SYNC/O_DSYNC
    # Durable calls complete in trace order, so every one seen so far ended before the
    # acknowledgement being judged: it covers the upsert if it started after it began.
    latest_durable_start = [0]
    op_start: dict[tuple[str, str], int] = {}
    result = SyncCheck()
    index = 0

    def finish(name: str, args: str, rest: str, start: int) -> None:
        ret = _RESULT.search(rest)
        ok = ret is not None and int(ret.group(1)) >= 0
        fd = _FD.match(args)
        path = fd.group(2) if fd else ""
        if name in _OPENS and ok and ret is not None and ret.group(2):
            if re.search(r"\bO_(D)?SYNC\b", args):
                sync_fds.add(ret.group(2))
            return
        if not ok:
            return
        in_data = path.startswith(data_prefix) or path == data_prefix.rstrip("/")
        if (
            (name in _SYNC_FD and in_data)
            or name in _SYNC_ALL
            or (name == "msync" and "MS_SYNC" in args)
            or (name in _WRITES and in_data and path in sync_fds)
        ):
            latest_durable_start[0] = max(latest_durable_start[0], start)

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
                finish(waiting.name, waiting.args, resumed.group(2), waiting.start)
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
                        _judge(result, latest_durable_start[0] > began, thread, seq, max_examples)
                continue
        if body.endswith("<unfinished ...>"):
            pending[pid] = _Pending(name, args, index)
        else:
            finish(name, args, args, index)
    return result


def _judge(result: SyncCheck, covered: bool, thread: str, seq: str, max_examples: int) -> None:
    result.acknowledged += 1
    if covered:
        result.covered += 1
    elif len(result.uncovered) < max_examples:
        result.uncovered.append(f"thread {thread} write #{seq}")
