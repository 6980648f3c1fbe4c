"""One evaluation inside its sandbox, once everything is built: the candidate's gates
(and those of gated peers), the trials of every side interleaved, the benchmark gate over
every trial, the memory canary and the writes the read-only sandbox refused.

Every process runs under a watchdog on its phase's budget (:mod:`eval_bounds`). Machine
conditions are read just before the trials and just after them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from jitskit_tui.harness.conditions import conditions, probe
from jitskit_tui.harness.eval_bounds import gate_watch, trial_watch
from jitskit_tui.harness.eval_run import EvalRun
from jitskit_tui.harness.gate_durability import durability_gate
from jitskit_tui.harness.gate_integrity import integrity_gate
from jitskit_tui.harness.gate_memory import memory_gate
from jitskit_tui.harness.modes import gate_from, run_mode
from jitskit_tui.harness.stopping import TrialSettings
from jitskit_tui.harness.trials import Side, TrialsOutcome, run_rounds, trials_gate
from jitskit_tui.harness.write_attempts import WriteAttempts
from jitskit_tui.protocol.measurement import MachineConditions
from jitskit_tui.protocol.results import GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT

TRIAL_CONFIG = "trial"
"""The harness configuration of every trial (``LAYOUT.config("trial")``)..."""
FIRST_TRIAL_CONFIG = "trial-first"
"""... but each side's first, which also measures the driver's floor."""
HELD_BUILD = f"{LAYOUT.peers}/.held-build"
"""Where the candidate's build waits while a gated peer's takes its place."""


@dataclass
class Measured:
    """What the gates and trials gave, for the result."""

    trials: TrialsOutcome | None = None
    conditions: MachineConditions | None = None
    peer_gates: dict[str, list[GateResult]] = field(default_factory=dict)


async def gates_and_trials(
    candidate: Side, peers: list[Side], gated: set[str], settings: TrialSettings
) -> Measured:
    """Runs the gates, the trials and the final checks; records every gate on the sides'
    runs. Peers named in ``gated`` go through the correctness gates too."""
    run = candidate.run
    measured = Measured()
    run.observer.on_step("integrity")
    integrity = await integrity_gate(run)
    await correctness_gates(run)
    gated_built = [p for p in peers if p.name in gated and p.run.gates["build"].passed]
    for peer in gated_built:
        async with in_place(run, peer):
            peer.run.record(await integrity_gate(peer.run))
            await correctness_gates(peer.run)

    run.observer.on_step("benchmark")
    before = await probe(run.sandbox, run.machine)
    counting = all(
        g.passed or g.severity == "log"
        for side in (candidate, *gated_built)
        for g in side.run.gates.values()
    )
    measured.trials = await run_rounds(
        candidate,
        peers,
        settings,
        configs=(LAYOUT.config(FIRST_TRIAL_CONFIG), LAYOUT.config(TRIAL_CONFIG)),
        watch=lambda: trial_watch(run, settings.seconds),
        counting=counting,
    )
    after = await probe(run.sandbox, run.machine)
    measured.conditions = conditions(before, after)
    _watch, timeout = trial_watch(run, settings.seconds)
    run.record(trials_gate(candidate, timeout))
    for peer in peers:
        peer.run.record(trials_gate(peer, timeout))

    await memory_canary(candidate)
    for peer in gated_built:
        async with in_place(run, peer):
            await memory_canary(peer)

    run.record(_final_integrity(integrity, run.tampering))
    for peer in peers:
        checked = peer.run.gates.get("integrity", GateResult(name="integrity", passed=True))
        if peer in gated_built or peer.run.tampering:
            peer.run.record(_final_integrity(checked, peer.run.tampering))
    return measured


async def correctness_gates(run: EvalRun) -> None:
    """The gates that judge what the store does: api, concurrency, durability."""
    run_conf = LAYOUT.config("run")
    for gate in ("api", "concurrency"):
        run.observer.on_step(gate)
        await run.reset_data()
        # The api gate's run is traced for writes the read-only sandbox refused.
        attempts = WriteAttempts()
        watch, timeout = gate_watch(run, gate)
        output = await run_mode(
            run.sandbox,
            f"gate-{gate}",
            run_conf,
            timeout_s=timeout,
            prefix=attempts.prefix() if gate == "api" else (),
            take_line=attempts.take,
            watch=watch,
        )
        run.log(gate, output)
        run.record(gate_from(output, gate, timeout))
        finding = attempts.finding()
        if finding is not None:
            run.tampering.append(finding)
    if run.spec.requirement.durability != "none":
        run.observer.on_step("durability")
        run.record(await durability_gate(run, LAYOUT.config("durability")))


async def memory_canary(side: Side) -> None:
    """The memory gate: the trials' peaks, and a short run at a budget the store has not
    seen."""
    run = side.run
    run.observer.on_step("memory")
    await run.reset_data()
    watch, timeout = gate_watch(run, "canary")
    canary = await run_mode(
        run.sandbox, "bench", LAYOUT.config("canary"), timeout_s=timeout, watch=watch
    )
    run.log("canary", canary)
    if not side.outputs:
        return
    # The trial that held the most memory, or the one the OOM killer ended, is judged.
    worst = max(
        range(len(side.outputs)),
        key=lambda i: (
            side.outputs[i].run.oom_killed,
            side.figures[i].memory_peak_bytes if i < len(side.figures) else 0,
        ),
    )
    figures = side.figures[worst] if worst < len(side.figures) else None
    run.record(memory_gate(run.spec, side.outputs[worst], figures, canary, timeout))


@contextlib.asynccontextmanager
async def in_place(run: EvalRun, peer: Side) -> AsyncIterator[None]:
    """Puts ``peer``'s build where the candidate's is while the gates run on it: the gates
    find the binary, the store objects and the sealed harness where they always do."""
    build = LAYOUT.build
    theirs = peer.binary.rsplit("/", 1)[0]
    await run.sh(f"mv {build} {HELD_BUILD} && mv {theirs} {build}", access="build")
    try:
        yield
    finally:
        await run.sh(f"mv {build} {theirs} && mv {HELD_BUILD} {build}", access="build")


def _final_integrity(integrity: GateResult, tampering: list[str]) -> GateResult:
    if tampering and integrity.passed:
        return GateResult(name="integrity", passed=False, detail="; ".join(tampering))
    return integrity
