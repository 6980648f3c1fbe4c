"""Unified diffs as rows to draw: parsing `git diff` output into files, hunks and lines
with their numbers, and pairing removed and added lines for the side-by-side view.

Linear in the diff's size and free of rendering, so a 5,000-line diff is ready in a few
milliseconds and the view draws only the rows on screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

RowKind = Literal["file", "hunk", "context", "add", "del", "meta"]
FileStatus = Literal["modified", "added", "deleted", "renamed", "binary"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


@dataclass(frozen=True)
class DiffRow:
    kind: RowKind
    text: str
    old_no: int | None = None
    new_no: int | None = None
    file_index: int = 0


@dataclass
class DiffFile:
    path: str
    old_path: str
    status: FileStatus = "modified"
    added: int = 0
    removed: int = 0
    first_row: int = 0
    hunk_rows: list[int] = field(default_factory=list)


@dataclass
class ParsedDiff:
    files: list[DiffFile]
    rows: list[DiffRow]

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)


def _path_of(header: str) -> tuple[str, str]:
    """``diff --git a/x b/y`` -> (``x``, ``y``) (paths with spaces kept whole)."""
    rest = header.removeprefix("diff --git ")
    if rest.startswith("a/") and " b/" in rest:
        old, new = rest[2:].split(" b/", 1)
        return old, new
    return rest, rest


def _plain_path(header: str) -> str:
    """``--- a/x<TAB>date`` -> ``x``; ``/dev/null`` stays as it is."""
    path = header[4:].split("\t", 1)[0].strip()
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def parse_unified(text: str) -> ParsedDiff:
    """`git diff` output, or a plain ``diff -u`` (``---``/``+++`` headers, as a model
    writes one in a proposal) -> files and rows; lines outside any file are ignored.

    Hunk headers' line counts end each hunk, so a removed line that happens to start
    with ``--`` is never taken for the next file's header.
    """
    files: list[DiffFile] = []
    rows: list[DiffRow] = []
    current: DiffFile | None = None
    old_no = new_no = 0
    old_left = new_left = 0
    in_hunk = False
    lines = text.splitlines()
    for at, line in enumerate(lines):
        if line.startswith("diff --git "):
            old, new = _path_of(line)
            current = DiffFile(path=new, old_path=old, first_row=len(rows))
            files.append(current)
            rows.append(DiffRow("file", new, file_index=len(files) - 1))
            in_hunk = False
            continue
        plain_header = (
            not in_hunk
            and line.startswith("--- ")
            and at + 1 < len(lines)
            and lines[at + 1].startswith("+++ ")
            and (current is None or bool(current.hunk_rows))
        )
        if plain_header:
            old, new = _plain_path(line), _plain_path(lines[at + 1])
            shown = old if new == "/dev/null" else new
            current = DiffFile(path=shown, old_path=old, first_row=len(rows))
            if old == "/dev/null":
                current.status = "added"
            elif new == "/dev/null":
                current.status = "deleted"
            files.append(current)
            rows.append(DiffRow("file", shown, file_index=len(files) - 1))
            continue
        if current is None:
            continue
        index = len(files) - 1
        match = _HUNK.match(line) if line.startswith("@@") else None
        if match:
            old_no, new_no = int(match.group(1)), int(match.group(3))
            old_left = int(match.group(2)) if match.group(2) is not None else 1
            new_left = int(match.group(4)) if match.group(4) is not None else 1
            current.hunk_rows.append(len(rows))
            rows.append(DiffRow("hunk", line, file_index=index))
            in_hunk = old_left > 0 or new_left > 0
            continue
        if not in_hunk:
            _file_meta(current, line)
            if not line.startswith(("---", "+++", "index ")):
                rows.append(DiffRow("meta", line, file_index=index))
            continue
        marker, body = line[:1], line[1:]
        if marker == "+":
            rows.append(DiffRow("add", body, None, new_no, index))
            new_no += 1
            new_left -= 1
            current.added += 1
        elif marker == "-":
            rows.append(DiffRow("del", body, old_no, None, index))
            old_no += 1
            old_left -= 1
            current.removed += 1
        elif marker == "\\":
            rows.append(DiffRow("meta", line, file_index=index))
        else:
            rows.append(DiffRow("context", body, old_no, new_no, index))
            old_no += 1
            new_no += 1
            old_left -= 1
            new_left -= 1
        if old_left <= 0 and new_left <= 0:
            in_hunk = False
    return ParsedDiff(files, rows)


def _file_meta(current: DiffFile, line: str) -> None:
    if line.startswith("new file mode"):
        current.status = "added"
    elif line.startswith("deleted file mode"):
        current.status = "deleted"
    elif line.startswith("rename from"):
        current.status = "renamed"
    elif line.startswith("Binary files"):
        current.status = "binary"


@dataclass(frozen=True)
class SplitRow:
    """One row of the side-by-side view: the old line on the left, the new on the right;
    a header row (file, hunk, meta) spans both."""

    left: DiffRow | None
    right: DiffRow | None
    source: int
    """The unified row it starts at (hunk and file navigation use it)."""

    @property
    def header(self) -> DiffRow | None:
        row = self.left or self.right
        return row if row is not None and row.kind in ("file", "hunk", "meta") else None


def side_by_side(parsed: ParsedDiff) -> list[SplitRow]:
    """Pairs each run of removed lines with the run of added lines after it."""
    out: list[SplitRow] = []
    rows = parsed.rows
    i = 0
    while i < len(rows):
        row = rows[i]
        if row.kind in ("file", "hunk", "meta"):
            out.append(SplitRow(row, None, i))
            i += 1
        elif row.kind == "context":
            out.append(SplitRow(row, row, i))
            i += 1
        else:
            start = i
            removed: list[DiffRow] = []
            while i < len(rows) and rows[i].kind == "del":
                removed.append(rows[i])
                i += 1
            added: list[DiffRow] = []
            while i < len(rows) and rows[i].kind == "add":
                added.append(rows[i])
                i += 1
            for k in range(max(len(removed), len(added))):
                out.append(
                    SplitRow(
                        removed[k] if k < len(removed) else None,
                        added[k] if k < len(added) else None,
                        start + k,
                    )
                )
    return out
