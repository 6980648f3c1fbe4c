"""A run shared by the tests of the loop's decisions and of the best falling back."""

from __future__ import annotations

import pytest
from stepkit import StoreStep, run_steps

from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import Event

MIN_EFFECT = 0.9
"""The card's min_effect in :func:`decided_run`: a win must nearly double the best."""
SCAN_REFUSED = {
    "text": "audit.md",
    "tests": [
        {
            "id": "scan-refused",
            "file": "scan_refused.cc",
            "severity": "gate",
            "invariant": "Scan is not supported (the card does not ask for it).",
        }
    ],
}


@pytest.fixture(scope="session")
def decided_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, list[Event]]:
    """Four iterations whose stores differ by known amounts of work per operation, on a
    card with three pinned trials and a min_effect of 90%, so every decision has a wide
    margin on a noisy machine (1.25x is far from both 1 and 1.9, 25x far above 1.9):

    1. a slow store without Scan (a twin of the reference with 3000 extra steps): first;
    2. the reference with 25 extra steps, with Scan, about 25x faster: best;
    3. the reference without Scan, about 1.25x faster than 2: within noise;
    4. the slow store again: slower. Its auditor then adds the escalation fixture's test
       (`scan_refused.cc`, gate severity), which the best (2) fails: the best falls back
       to 1, the most recent earlier best that passes it.

    (An equal store would be `slower` in 2.5% of runs by the interval's own design; that
    rate belongs to benchmarks/measurement_quality.py, not to a test.)
    """
    return run_steps(
        tmp_path_factory.mktemp("decided"),
        lambda stores: [
            StoreStep("A slow store without scans", stores.twin(3000, scan=False)),
            StoreStep("Much faster: the reference with a little extra work", stores.twin(25)),
            StoreStep("A little faster: the reference without scans", stores.twin(0, scan=False)),
            StoreStep("Back to the slow store", stores.twin(3000, scan=False), SCAN_REFUSED),
        ],
        iterations=4,
        min_effect=f"{MIN_EFFECT:.0%}",
        audit_every=4,
    )
