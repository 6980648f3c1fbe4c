"""The sides measured beside the candidate in one evaluation: the incumbent best, the
baselines to pair against, or the other store of a `jitskit compare`.

Each peer is uploaded and built in the candidate's own sandbox (its own folder under
``LAYOUT.peers``), so every side runs on the same machine, under the same limits and in
the same window, and the rounds interleave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jitskit_tui.harness.build import HARNESS_OBJECTS, build_store, peer_place
from jitskit_tui.harness.bundle import Bundle, BundleError, make_bundle
from jitskit_tui.protocol.results import (
    BenchTick,
    EvalBudget,
    GateResult,
    PhaseProgress,
    TrialFigures,
)
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import EvalSandbox
from jitskit_tui.spec.model import SpecCard

if TYPE_CHECKING:
    from jitskit_tui.harness.eval_run import EvalObserver


@dataclass(frozen=True)
class Peer:
    """A side measured beside the candidate, in the same sandbox."""

    name: str
    """`incumbent`, `baseline:NAME`, or `A` in `jitskit compare`: names its trials,
    its outcome and the candidate's comparison with it."""
    store_dir: Path
    store_flags: tuple[str, ...] | None = None
    """Fixed compile flags (baseline adapters); ``None`` uses the spec's."""
    link_libraries: tuple[str, ...] = ()
    gated: bool = False
    """Run the correctness gates on it too (both sides of a compare); otherwise it is
    built and measured only, its gates judged before (the incumbent, the baselines)."""
    threshold: float | None = None
    """The ratio ``candidate / peer`` whose side matters to the caller (the incumbent's
    ``1 + min_effect``, 1 in a compare): once the interval is wholly on one side of it
    the comparison is settled and needs no more precision (docs/measurement.md)."""


@dataclass(frozen=True)
class StagedPeer:
    """A peer's sources copied on the host, ready to upload (or why they cannot be)."""

    peer: Peer
    bundle: Bundle | None
    error: str = ""


def stage_peers(peers: tuple[Peer, ...], root: Path) -> list[StagedPeer]:
    """Copies each peer's store sources under ``root``, checked as a candidate's are."""
    names = [p.name for p in peers]
    repeated = sorted({n for n in names if names.count(n) > 1 or n == "candidate"})
    if repeated:
        raise ValueError(f"each side needs its own name; repeated: {', '.join(repeated)}")
    staged = []
    for peer in peers:
        try:
            bundle = make_bundle(peer.store_dir, root / LAYOUT.peer(peer.name).rsplit("/", 1)[1])
        except BundleError as exc:
            staged.append(StagedPeer(peer, None, str(exc)))
            continue
        staged.append(StagedPeer(peer, bundle))
    return staged


async def build_peer(sandbox: EvalSandbox, spec: SpecCard, staged: StagedPeer) -> GateResult:
    """Uploads and builds one peer in its place; its `build` gate. Call after the
    candidate's build, whose sealed harness object it links with."""
    if staged.bundle is None:
        return GateResult(name="build", passed=False, detail=staged.error)
    peer = staged.peer
    place = peer_place(peer.name)
    folder = LAYOUT.peer(peer.name)
    await sandbox.upload(staged.bundle.store, place.sources)
    outcome = await build_store(
        sandbox,
        staged.bundle,
        spec,
        place,
        store_flags=peer.store_flags,
        link_libraries=peer.link_libraries,
    )
    seconds = sum(step.wall_s for step in outcome.steps)
    if not outcome.ok:
        return GateResult(name="build", passed=False, detail=outcome.detail, seconds=seconds)
    if peer.gated:
        # Its gates run with its build in the candidate's place: the same layout, the
        # same sealed harness.
        copy = await sandbox.run(
            ["cp", "-a", HARNESS_OBJECTS, f"{folder}/build/"], timeout_s=60, access="build"
        )
        if not copy.ok:
            return GateResult(
                name="build", passed=False, detail=f"copying the harness objects: {copy.stderr}"
            )
    return GateResult(name="build", passed=True, detail="compiled and linked", seconds=seconds)


class SideObserver:
    """A peer's view of the evaluation's observer: its trials and ticks go through as
    they are (they name their side); its steps and gates are prefixed with its name, and
    an ungated peer reports only the gates it failed."""

    def __init__(self, observer: EvalObserver, peer: Peer) -> None:
        self.observer = observer
        self.peer = peer

    def on_step(self, step: str) -> None:
        if self.peer.gated:
            self.observer.on_step(f"{self.peer.name}: {step}")

    def on_tick(self, tick: BenchTick) -> None:
        self.observer.on_tick(tick)

    def on_gate(self, gate: GateResult) -> None:
        if self.peer.gated or not gate.passed:
            self.observer.on_gate(
                gate.model_copy(update={"name": f"{self.peer.name}: {gate.name}"})
            )

    def on_trial(self, figures: TrialFigures) -> None:
        self.observer.on_trial(figures)

    def on_budget(self, budget: EvalBudget) -> None:
        pass  # the evaluation's budget covers every side; it was announced once

    def on_progress(self, progress: PhaseProgress) -> None:
        self.observer.on_progress(progress)
