"""Two stores compared as paired, interleaved trials in one evaluation: `jitskit compare`
and two runs side by side (:mod:`jitskit_tui.engine.beside`) share it.

A side is a store folder, ``RUN@N`` (iteration N of a run, its `store/` as committed) or
``baseline:NAME`` (an off-the-shelf adapter). Side B is the evaluation's own store, side A
its peer, gated like it: the result's comparison is the ratio B/A.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace
from jitskit_tui.harness.baseline_catalog import baseline_names, select
from jitskit_tui.harness.baseline_runs import adapter_flags, adapter_store
from jitskit_tui.harness.config import Size
from jitskit_tui.harness.eval_run import EvalObserver, EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.harness.peers import Peer
from jitskit_tui.protocol.measurement import Comparison
from jitskit_tui.protocol.results import EvalResult, GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec import SpecCard

FORMS = "a store folder, RUN@N (iteration N of a run), or baseline:NAME"
SIDE_A, SIDE_B = "A", "B"
ITERATION_REF = re.compile(r"^(?P<run>.+)@(?P<n>\d+)$")
"""``RUN@N``: iteration N of a run."""


class SideError(Exception):
    """A side that cannot be compared, with what forms are accepted."""


@dataclass(frozen=True)
class Source:
    """Where one side's sources come from, as the user wrote it and as found."""

    written: str
    store_dir: Path
    baseline: str | None = None
    """The adapter's name, for `baseline:NAME`: built with its fixed flags."""

    def peer(self, name: str, *, threshold: float | None = None) -> Peer:
        """This side measured beside the other, gated like it."""
        flags, libraries = self._build(f"{LAYOUT.peer(name)}/store")
        return Peer(
            name=name,
            store_dir=self.store_dir,
            store_flags=flags,
            link_libraries=libraries,
            gated=True,
            threshold=threshold,
        )

    def candidate_build(self) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """Its flags and libraries as the evaluation's own store."""
        return self._build(LAYOUT.store)

    def _build(self, store: str) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        if self.baseline is None:
            return None, ()
        (adapter,) = select([self.baseline])
        libraries = tuple(lib.removeprefix("-l") for lib in adapter.libraries)
        return adapter_flags(adapter, store), libraries


def resolve(written: str, scratch: Path) -> Source:
    """The side ``written`` names; a run's iteration is written out under ``scratch``."""
    if written.startswith("baseline:"):
        name = written.removeprefix("baseline:")
        if name not in baseline_names():
            raise SideError(
                f"{written}: no baseline {name!r}; the baselines are {', '.join(baseline_names())}"
            )
        (adapter,) = select([name])
        return Source(written, adapter_store(adapter), baseline=name)
    folder = Path(written)
    if folder.is_dir():
        if (folder / ".jitskit").is_dir():
            raise SideError(
                f"{written}: a run, not a store; name one of its iterations as {written}@N"
            )
        return Source(written, folder)
    match = ITERATION_REF.match(written)
    if match is None:
        raise SideError(f"{written}: no such folder, and not {FORMS}")
    try:
        ws = find_workspace(match["run"])
        commits = gitrepo.iteration_commits(ws)
        number = int(match["n"])
        if number not in commits:
            known = ", ".join(str(n) for n in sorted(commits)) or "none yet"
            raise SideError(f"{written}: the run has no iteration {number} (iterations: {known})")
        return iteration_source(ws, number, commits[number].sha, scratch, written=written)
    except WorkspaceError as exc:
        raise SideError(f"{written}: {exc}") from None


def iteration_source(
    ws: Workspace, number: int, sha: str, scratch: Path, *, written: str = ""
) -> Source:
    """Iteration ``number`` of a run (commit ``sha``), its `store/` written out under
    ``scratch`` as committed. Blocking (git)."""
    dest = gitrepo.export_store(ws, sha, scratch / f"{ws.name}-{number}")
    return Source(written or f"{ws.name}@{number}", dest)


async def compare_stores(
    spec: SpecCard,
    a: Source,
    b: Source,
    machine: BenchMachine,
    observer: EvalObserver,
    *,
    size: Size = "quick",
    seed: int | None = None,
    run_id: str = "compare",
    allow_smaller_machine: bool = False,
) -> EvalResult:
    """B evaluated with A beside it on ``machine`` (checked by the caller): both built and
    gated in one sandbox, then measured as paired trials; the result compares B with A."""
    flags, libraries = b.candidate_build()
    request = EvalRequest(
        spec=spec,
        store_dir=b.store_dir,
        name=SIDE_B,
        size=size,
        run_id=run_id,
        store_flags=flags,
        link_libraries=libraries,
        seed=seed,
        peers=(a.peer(SIDE_A, threshold=1.0),),
        allow_smaller_machine=allow_smaller_machine,
    )
    return await evaluate(request, machine, observer)


def ratio_of(result: EvalResult) -> Comparison | None:
    """B/A as measured (``None`` when a side failed before its trials ended)."""
    return next(iter(result.comparisons), None)


def failed_sides(result: EvalResult) -> list[tuple[str, GateResult]]:
    """Each side's failed gates, A's included (a peer that was not measured at all while
    B counted is reported as A's failed build)."""
    found = [(SIDE_B, g) for g in result.failed_gates]
    peer = result.peers.get(SIDE_A)
    if peer is not None:
        found += [(SIDE_A, g) for g in peer.failed_gates]
    elif result.counts:
        found.append((SIDE_A, GateResult(name="build", passed=False, detail="it was not measured")))
    return found
