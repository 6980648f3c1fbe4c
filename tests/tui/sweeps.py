"""A sweep made of the recorded run (`recording.py`), for the sweep dashboard's tests: two
runs of the tiny card, the first finished, the second cut part-way (its log can be
completed later, as a live run's would grow)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from recording import RECORDED, TINY, restore

from jitskit_tui.spec import load_spec
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.log import RunEnded, RunLaunched, SweepLog, SweepStarted
from jitskit_tui.sweep.manifest import SweepEntry, SweepManifest

RUNS = ("tiny-first", "tiny-second")


def recorded_lines() -> list[str]:
    return (RECORDED / "events.jsonl").read_text().splitlines(keepends=True)


def seq_of(kind: str, iteration: int) -> int:
    """The sequence number of the recorded run's first ``kind`` event of ``iteration``."""
    for line in recorded_lines():
        event = json.loads(line)
        if event["type"] == kind and event["iteration"] == iteration:
            return int(event["seq"])
    raise AssertionError(f"no {kind} of iteration {iteration} in the recording")


def sweep_folder(dest: Path, card: Path, runs: Sequence[str], *, ended: int) -> SweepFolder:
    """A sweep's manifest and log at ``dest``: one run of ``card`` in each folder named in
    ``runs`` (under ``dest``, made by the caller), all launched, the first ``ended`` of
    them ended finished."""
    folder = SweepFolder(dest)
    folder.cards.mkdir(parents=True)
    copy = folder.cards / f"01-{card.name}"
    copy.write_text(card.read_text())
    name = load_spec(card).name
    entries = [
        SweepEntry(spec=str(card), spec_name=name, card=str(copy.relative_to(dest)), workspace=n)
        for n in runs
    ]
    SweepManifest(
        created=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        machine="local",
        parallel=2,
        agent="scripted",
        iterations=3,
        baselines=False,
        entries=entries,
    ).save(folder)
    log = SweepLog(folder.events)
    log.append(SweepStarted(pid=1, parallel=2))
    for index, run in enumerate(runs):
        log.append(RunLaunched(entry=index, workspace=run))
    for index in range(ended):
        log.append(RunEnded(entry=index, status="finished", reason="budget used up"))
    log.close()
    return folder


def restore_sweep(dest: Path, *, second_upto: int | None = None) -> SweepFolder:
    """The sweep at ``dest``: its manifest, its log, and its two runs (the second's log
    cut after event ``second_upto``)."""
    folder = sweep_folder(dest, TINY, RUNS, ended=1)
    restore(dest / RUNS[0])
    restore(dest / RUNS[1], upto_seq=second_upto)
    return folder


def complete_second(folder: SweepFolder, after: int) -> None:
    """Appends the rest of the recorded run to the second run's log."""
    with (folder.root / RUNS[1] / ".jitskit" / "events.jsonl").open("a") as log:
        log.write("".join(recorded_lines()[after:]))
