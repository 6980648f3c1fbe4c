"""The harness-object cache keeps what is in use: pruning removes only entries beyond
the newest few that nobody has used for an hour, so a process that has just found an
entry is never left uploading a folder another one deleted."""

from __future__ import annotations

import os
import time
from pathlib import Path

from jitskit_tui.harness.build import _prune


def _entries(folder: Path, ages_s: list[float]) -> list[Path]:
    now = time.time()
    made = []
    for i, age in enumerate(ages_s):
        entry = folder / f"entry-{i}"
        entry.mkdir()
        (entry / "harness-sealed.o").write_bytes(b"\0")
        os.utime(entry, (now - age, now - age))
        made.append(entry)
    return made


def test_old_entries_beyond_the_newest_are_pruned(tmp_path: Path) -> None:
    entries = _entries(tmp_path, [10, 20, 7200, 9000])
    (tmp_path / ".fill-x").mkdir()  # being filled: never touched
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fill-x", "entry-0", "entry-1"]
    assert not entries[2].exists() and not entries[3].exists()


def test_an_entry_used_recently_survives_even_beyond_the_newest(tmp_path: Path) -> None:
    _entries(tmp_path, [10, 20, 30, 7200])
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry-0", "entry-1", "entry-2"]
