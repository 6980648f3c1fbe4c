"""One evaluation of a store for a spec: build, gates, trials and memory canary, with the
other sides it is compared with (its peers) measured in the same sandbox.

Everything runs in one sandbox opened on the benchmark machine (one allocation on a
cluster, so every side shares one window); the host only prepares the bundles and reads
results. A failed gate never stops the measurement: the result still carries the
throughput, marked as not counting.

This module is the outline; the gates and trials inside the sandbox are in
:mod:`measure` and :mod:`trials`, the peers' staging and builds in :mod:`peers`, the
request, observer and result plumbing in :mod:`eval_run`, each gate in its ``gate_*``
module.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from jitskit_tui.harness import config as harness_config
from jitskit_tui.harness.build import BINARY, BuildOutcome, build, harness_cache_dir, peer_place
from jitskit_tui.harness.bundle import BundleError, digest_of, harness_digests, make_bundle
from jitskit_tui.harness.eval_bounds import announce_budget, bounded_build, machine_setting
from jitskit_tui.harness.eval_run import (
    EvalObserver,
    EvalRequest,
    EvalRun,
    QuietObserver,
    eval_result,
)
from jitskit_tui.harness.gate_integrity import changed_harness_files
from jitskit_tui.harness.measure import FIRST_TRIAL_CONFIG, TRIAL_CONFIG, Measured, gates_and_trials
from jitskit_tui.harness.outcome import median_figures, with_trials
from jitskit_tui.harness.peers import SideObserver, StagedPeer, build_peer, stage_peers
from jitskit_tui.harness.stopping import TrialSettings, trial_settings
from jitskit_tui.harness.trials import Side
from jitskit_tui.protocol.results import GATE_ORDER, EvalResult, GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import BenchMachine

# The one name for callers; the types it speaks come from the modules that define them.
__all__ = ["evaluate"]


async def evaluate(
    request: EvalRequest, machine: BenchMachine, observer: EvalObserver | None = None
) -> EvalResult:
    """Evaluates one store, and its peers beside it; returns the result whatever the
    stores do."""
    observer = observer or QuietObserver()
    spec = request.spec
    setting, cpus = await machine_setting(request, machine)
    limits = setting.limits
    rng = random.Random(
        request.seed if request.seed is not None else random.SystemRandom().random()
    )
    settings = request.trials or trial_settings(spec, request.size)
    with tempfile.TemporaryDirectory(prefix="jitskit-bundle-") as tmp:
        pristine = harness_digests()
        try:
            bundle = make_bundle(request.store_dir, Path(tmp) / "bundle")
        except BundleError as exc:
            gate = GateResult(name="build", passed=False, detail=str(exc))
            observer.on_gate(gate)
            return eval_result(request, [gate], None, [], {}, setting)
        if request.prepare_bundle is not None:
            request.prepare_bundle(bundle)
        staged = stage_peers(request.peers, Path(tmp) / "peers")
        configs = _write_configs(request, cpus, rng, settings, Path(tmp) / "configs")

        cache = harness_cache_dir(
            machine.build_cache_key, spec.environment.compiler.cxx, digest_of(pristine)
        )
        budget = announce_budget(request, bundle, cache, observer, peers=staged, settings=settings)
        sandbox = await machine.open(
            run_id=request.run_id,
            iteration=request.iteration,
            limits=limits,
            data_volume=spec.requirement.durability != "none",
            # A machine that holds an allocation for the evaluation bounds it by the budget.
            time_limit_s=budget.overall_s or None,
        )
        async with sandbox:
            run = EvalRun(
                request,
                sandbox,
                observer,
                rng,
                cpus,
                pristine=pristine,
                budget=budget,
                machine=machine,
            )
            await sandbox.upload(bundle.root, LAYOUT.work)
            await sandbox.upload(configs, LAYOUT.configs)
            run.harness_changed = await changed_harness_files(run)
            observer.on_step("build")
            building = build(
                sandbox,
                bundle,
                spec,
                store_flags=request.store_flags,
                link_libraries=request.link_libraries,
                object_cache=cache,
            )
            built = await bounded_build(budget, building)
            run.logs["build"] = built.log[-20_000:]
            run.record(_build_gate(built))
            candidate = Side(request.name, BINARY, run)
            peers = [await _built_peer(run, one) for one in staged] if built.ok else []
            measured = Measured()
            if built.ok:
                gated = {one.peer.name for one in staged if one.peer.gated}
                measured = await gates_and_trials(candidate, peers, gated, settings)
            run.figures = median_figures(candidate)
            run.partial_ops_s = candidate.partial_ops_s
            gates = [run.gates[name] for name in GATE_ORDER if name in run.gates]
            result = eval_result(
                request,
                gates,
                run.figures,
                run.timeline,
                run.logs,
                setting,
                sandbox,
                budget=budget,
                partial_ops_s=run.partial_ops_s,
            )
            return with_trials(result, candidate, peers, measured, settings.look_count)


def _write_configs(
    request: EvalRequest,
    cpus: tuple[int, ...] | None,
    rng: random.Random,
    settings: TrialSettings,
    folder: Path,
) -> Path:
    spec = request.spec
    folder.mkdir()
    for name, values in {
        "run": harness_config.harness_config(spec, request.size, cpus=cpus),
        **{
            name: harness_config.trial_config(
                spec,
                request.size,
                cpus,
                seconds=settings.seconds,
                warmup_s=settings.warmup_s,
                seed=request.seed_override,
                floor=floor,
            )
            for name, floor in ((TRIAL_CONFIG, False), (FIRST_TRIAL_CONFIG, True))
        },
        "canary": harness_config.canary_config(spec, cpus, rng),
        # The durability writer runs until it is killed, whatever the run's bounds.
        "durability": harness_config.harness_config(
            spec, request.size, cpus=cpus, operation_count=0, duration_s=3600
        ),
    }.items():
        # Named as the sandbox will see it once the folder is uploaded.
        (folder / Path(LAYOUT.config(name)).name).write_text(harness_config.render(values))
    return folder


async def _built_peer(run: EvalRun, staged: StagedPeer) -> Side:
    """One peer uploaded and built, as a side with its own evaluation state."""
    peer = staged.peer
    request = run.request
    peer_request = EvalRequest(
        spec=request.spec,
        store_dir=peer.store_dir,
        name=peer.name,
        size=request.size,
        run_id=request.run_id,
        iteration=request.iteration,
        store_flags=peer.store_flags,
        link_libraries=peer.link_libraries,
    )
    observer = SideObserver(run.observer, peer)
    peer_run = EvalRun(
        peer_request,
        run.sandbox,
        observer,
        run.rng,
        run.cpus,
        pristine=run.pristine,
        budget=run.budget,
        machine=run.machine,
    )
    peer_run.harness_changed = run.harness_changed
    observer.on_step("build")
    gate = await build_peer(run.sandbox, request.spec, staged)
    peer_run.record(gate)
    side = Side(peer.name, peer_place(peer.name).binary, peer_run, threshold=peer.threshold)
    if not gate.passed:
        side.broken = f"its build failed: {gate.detail.splitlines()[0] if gate.detail else ''}"
    return side


def _build_gate(built: BuildOutcome) -> GateResult:
    seconds = sum(step.wall_s for step in built.steps)
    if built.ok:
        return GateResult(name="build", passed=True, detail="compiled and linked", seconds=seconds)
    return GateResult(name="build", passed=False, detail=built.detail, seconds=seconds)
