"""Which client made a leftover (a container, a Slurm job, a scratch folder), and whether
that client is gone.

A leftover records its client as host name, pid and the pid's start time: the start time
keeps a pid reused by another process from passing for the client. Only a client on this
host can be seen to be gone; leftovers of other hosts are left to their own limits.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or ``""`` elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces; fields after it are space separated.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def client_identity() -> tuple[str, int, str]:
    """This process as leftovers record it: host name, pid and the pid's start time."""
    return socket.gethostname(), os.getpid(), process_start(os.getpid())


def pid_gone(pid: int, start: str) -> bool:
    """Whether the process ``pid`` that started at ``start`` no longer runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # someone else's live process
    return bool(start) and process_start(pid) not in ("", start)
