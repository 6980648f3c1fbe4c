"""Writes the store tried outside the places it may write, and was refused.

While the store runs, everything but its data volume and its private ``/tmp`` is
read-only to it (:mod:`jitskit_tui.protocol.sandbox_layout`), so such a write cannot
happen: it fails, and a store written to depend on it (a spill file in ``$HOME``) falls
back or breaks. Either way the agent should hear what happened, so the api gate's run
is traced for refused writes (``strace --failed-only``, only the calls that create,
open for writing, rename or remove a file: the rest of the run is untouched) and each
one outside the writable places fails the integrity gate, naming the call and the path.

The trace goes to the command's standard output, beside the harness's JSON lines:
the store's own standard output is the harness's stderr, so it cannot forge these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from jitskit_tui.protocol.sandbox_layout import LAYOUT

_CALLS = (
    "open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,"
    "symlink,symlinkat,unlink,unlinkat,rmdir,truncate,mknod,mknodat"
)
_OPENS = frozenset({"open", "openat", "openat2"})
_WRITE_FLAGS = re.compile(r"\bO_(WRONLY|RDWR|CREAT|TRUNC)\b")
_REFUSED = frozenset({"EROFS", "EACCES", "EPERM"})
_LINE = re.compile(
    r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?P<call>[a-z0-9_]+)\((?P<args>.*)\)\s+=\s+-1\s+"
    r"(?P<errno>E[A-Z0-9]+)\b(?:\s+\((?P<why>[^)]*)\))?"
)
_PATH = re.compile(r'"((?:[^"\\]|\\.)*)"')
# Kernel interfaces, not files: a refused write there is not a write outside the data.
_NOT_FILES = ("/proc", "/sys", "/dev")
SHOWN = 3


@dataclass
class WriteAttempts:
    """Collects the refused writes a traced run reports, from its standard output."""

    found: list[str] = field(default_factory=list)
    """Each refused write outside the writable places: ``openat /work/.cache/x (O_RDWR|
    O_CREAT): Read-only file system``."""
    count: int = 0

    @staticmethod
    def prefix() -> tuple[str, ...]:
        """The tracer to put before the harness's command line."""
        return (
            "strace",
            "--seccomp-bpf",
            "-f",
            "-qq",
            "-Z",
            "-e",
            f"trace={_CALLS}",
            "-e",
            "signal=none",
            "-o",
            "/dev/stdout",
        )

    def take(self, line: str) -> bool:
        """Whether ``line`` is the tracer's (recorded when it is a refused write
        outside the writable places)."""
        match = _LINE.match(line.strip())
        if match is None:
            return False
        call, args, errno = match["call"], match["args"], match["errno"]
        path_match = _PATH.search(args)
        if errno not in _REFUSED or path_match is None:
            return True
        if call in _OPENS and not _WRITE_FLAGS.search(args):
            return True
        path = _absolute(path_match.group(1))
        if _allowed(path):
            return True
        self.count += 1
        if len(self.found) < SHOWN:
            flags = " (" + "|".join(_flags(args)) + ")" if call in _OPENS else ""
            self.found.append(f"{call} {path}{flags}: {match['why'] or errno}")
        return True

    def finding(self) -> str | None:
        """The integrity gate's reason, or ``None`` when the store tried no such write."""
        if not self.count:
            return None
        more = f" and {self.count - len(self.found)} more" if self.count > len(self.found) else ""
        return (
            f"the store tried to write outside its data directory: {'; '.join(self.found)}"
            f"{more} (refused: while the store runs only StoreConfig::data_dir and $TMPDIR "
            f"({LAYOUT.tmp}) are writable; the working folder, $HOME and the harness's "
            "binaries are read-only)"
        )


def _absolute(path: str) -> str:
    # Relative paths are from the command's directory, the working folder.
    return path if path.startswith("/") else f"{LAYOUT.work}/{path}"


def _allowed(path: str) -> bool:
    pure = PurePosixPath(path)
    places = (*LAYOUT.store_writable, *_NOT_FILES)
    return any(pure == PurePosixPath(p) or PurePosixPath(p) in pure.parents for p in places)


def _flags(args: str) -> list[str]:
    return [f"O_{m}" for m in _WRITE_FLAGS.findall(args)]
