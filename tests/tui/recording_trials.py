"""The recorded run with trials that the dashboard's tests of numbers show, and how to
restore it.

`tests/tui/recorded-trials/` holds a real run (the scripted agent, instant pace) of the
engine tests' tiny card with five pinned trials and a `min_effect` of 90%, whose five
stores differ by known amounts of work per operation (`tests/engine/stepkit.py`), each
measured paired against the incumbent best and the real mutex-map baseline:

1. a slow store without Scan: `first`;
2. the reference with a little extra work, with Scan, many times faster: `best`
   (then a `confirm` from the app measures the headline of #2);
3. a store that does not compile: `failed`;
4. the reference without Scan, about 1.25x faster than #2: `within-noise`;
5. the slow store again: `slower`; its auditor adds a gate test that fails any store
   answering Scan, so the best falls back from #2 to #1.

The run ends with the headline of #1. The run's baseline measurement is a stand-in (the
cached figures of mutex-map and of an lmdb far from the best), so recording does not wait
for every real baseline; the pairing beside each candidate is real. The older recording
(`recording.py`, before trials) is the log an old run left.

Regenerate it (after a deliberate change to the events) with
``.venv/bin/python tests/tui/recording_trials.py``; then update the snapshots.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from recording import HERE, TRAJECTORY, bundle_run, restore

RECORDED_TRIALS = HERE / "recorded-trials"
CACHED = {"mutex-map": 5_000_000.0, "lmdb": 1_000.0}
"""The stand-in baseline measurement's figures (ops/s)."""
TRIALS = 5
"""Pinned rounds: enough for intervals that decide on a busy two-core machine."""
CONFIRM_AFTER = 2
"""The app's confirm is sent as this iteration finishes."""


def restore_trials(dest: Path, *, upto_seq: int | None = None) -> Path:
    """The recorded run with trials as a workspace at ``dest`` (its log cut after
    ``upto_seq``)."""
    return restore(dest, upto_seq=upto_seq, source=RECORDED_TRIALS)


def _engine_steps(root: Path) -> tuple[Path, Path]:
    """The card and the trajectory of the recording, made under ``root``."""
    from conftest import SCAN_REFUSED
    from stepkit import Stores, StoreStep, card, trajectory

    stores = Stores(root / "stores")
    broken = root / "stores" / "broken"
    broken.mkdir(parents=True)
    (broken / "store.cc").write_text((TRAJECTORY / "03" / "broken.cc").read_text())
    steps = trajectory(
        root / "trajectory",
        [
            StoreStep("A slow store without scans", stores.twin(3000, scan=False)),
            StoreStep("Much faster: the reference with a little extra work", stores.twin(25)),
            StoreStep("A store that does not compile", broken),
            StoreStep("A little faster: the reference without scans", stores.twin(0, scan=False)),
            StoreStep("Back to the slow store", stores.twin(3000, scan=False), SCAN_REFUSED),
        ],
    )
    return card(
        root / "card.yaml",
        iterations=5,
        min_effect="90%",
        audit_every=5,
        trials={"min": TRIALS, "max": TRIALS},
    ), steps


async def _run(root: Path) -> Path:
    from enginekit import new_workspace
    from stepkit import cached_baselines, engine_for

    from jitskit_tui.protocol.controls import Confirm
    from jitskit_tui.protocol.events import Event, IterationFinished

    spec, steps = _engine_steps(root)
    ws = new_workspace(root, spec, name="tiny-trials")
    engine = engine_for(ws, steps, 5, baseline=cached_baselines(CACHED, "mutex-map"))
    loop = asyncio.get_running_loop()

    def listener(event: Event) -> None:
        if isinstance(event, IterationFinished) and event.iteration == CONFIRM_AFTER:
            loop.call_soon(engine.handle_control, Confirm(source="tui (recording)"))

    engine.log.subscribe(listener)
    finished = await engine.run()
    print(f"recorded: {finished.status}: {finished.reason}; {finished.headline}")
    return ws.root


def record(out: Path) -> None:
    # The engine tests' stores, cards and trajectories (their folder, then `support`).
    sys.path[:0] = [str(HERE.parent / "engine"), str(HERE.parent)]
    with tempfile.TemporaryDirectory() as tmp:
        ws_root = asyncio.run(_run(Path(tmp)))
        if out.exists():
            shutil.rmtree(out)
        bundle_run(ws_root, out)


if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDED_TRIALS)
