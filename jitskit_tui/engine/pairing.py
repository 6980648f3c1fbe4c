"""The sides measured beside an iteration's candidate: the incumbent best (its `store/`
written out of its commit) and the baselines the run pairs against (the best comparable
one and every one whose interval overlaps it, named when the run measured them)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.decisions import INCUMBENT
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.harness.baseline_catalog import select
from jitskit_tui.harness.baseline_runs import baseline_peer
from jitskit_tui.harness.peers import Peer


@dataclass(frozen=True)
class Pairing:
    """What one evaluation measures beside the candidate."""

    peers: tuple[Peer, ...]
    incumbent: int | None
    """The best's iteration, measured as the side `incumbent` (``None``: no best yet)."""


def baseline_peers(names: Iterable[str]) -> list[Peer]:
    """The named baselines as peers (names the catalog does not know are left out: a run
    whose baselines came from elsewhere keeps its cached ratio, unpaired)."""
    known = {b.name: b for b in select(None)}
    return [baseline_peer(known[name]) for name in dict.fromkeys(names) if name in known]


@contextlib.asynccontextmanager
async def best_store(ws: Workspace, sha: str) -> AsyncIterator[Path]:
    """Commit ``sha``'s `store/`, written into a folder that lives as long as the block."""
    with tempfile.TemporaryDirectory(prefix="jitskit-best-") as tmp:
        yield await asyncio.to_thread(gitrepo.export_store, ws, sha, Path(tmp) / "store")


@contextlib.asynccontextmanager
async def iteration_pairing(
    ws: Workspace,
    best: tuple[int, str] | None,
    baselines: Iterable[str],
    min_effect: float,
) -> AsyncIterator[Pairing]:
    """The peers of an iteration's evaluation: ``best`` (its iteration and commit) as the
    incumbent, whose comparison is settled once its interval leaves ``1 + min_effect``
    behind, and the ``baselines`` by name."""
    peers = await asyncio.to_thread(baseline_peers, baselines)
    if best is None:
        yield Pairing(tuple(peers), None)
        return
    iteration, sha = best
    async with best_store(ws, sha) as store:
        incumbent = Peer(INCUMBENT, store, threshold=1.0 + min_effect)
        yield Pairing((incumbent, *peers), iteration)
