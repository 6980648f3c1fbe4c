"""One evaluation of a store for a spec: build, gates, benchmark and memory canary.

Everything runs in a sandbox opened on the benchmark machine; the host only prepares
the bundle and reads results. A failed gate never stops the measurement: the result
still carries the throughput, marked as not counting.

This module is the orchestration; the request, observer and result plumbing is in
:mod:`eval_run`, each gate in its ``gate_*`` module.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from jitskit_tui.harness import config as harness_config
from jitskit_tui.harness.build import BuildOutcome, build, harness_cache_dir
from jitskit_tui.harness.bundle import BundleError, digest_of, harness_digests, make_bundle
from jitskit_tui.harness.eval_bounds import (
    announce_budget,
    bench_watch,
    bounded_build,
    gate_watch,
    machine_setting,
)
from jitskit_tui.harness.eval_run import (
    EvalObserver,
    EvalRequest,
    EvalRun,
    QuietObserver,
    eval_result,
)
from jitskit_tui.harness.gate_benchmark import benchmark_gate, clock_skew
from jitskit_tui.harness.gate_durability import durability_gate
from jitskit_tui.harness.gate_integrity import changed_harness_files, integrity_gate
from jitskit_tui.harness.gate_memory import memory_gate
from jitskit_tui.harness.modes import figures_from, gate_from, run_mode
from jitskit_tui.harness.write_attempts import WriteAttempts
from jitskit_tui.protocol.results import (
    GATE_ORDER,
    BenchTick,
    EvalResult,
    GateResult,
    TimelinePoint,
)
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import BenchMachine

# The one name for callers; the types it speaks come from the modules that define them.
__all__ = ["evaluate"]


async def evaluate(
    request: EvalRequest, machine: BenchMachine, observer: EvalObserver | None = None
) -> EvalResult:
    """Evaluates one store; returns the result whatever the store does."""
    observer = observer or QuietObserver()
    spec = request.spec
    setting, cpus = await machine_setting(request, machine)
    limits = setting.limits
    rng = random.Random(
        request.seed if request.seed is not None else random.SystemRandom().random()
    )
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
        configs = Path(tmp) / "configs"
        configs.mkdir()
        for name, values in {
            "run": harness_config.harness_config(spec, request.size, cpus=cpus),
            "canary": harness_config.canary_config(spec, cpus, rng),
            # The durability writer runs until it is killed, whatever the run's bounds.
            "durability": harness_config.harness_config(
                spec, request.size, cpus=cpus, operation_count=0, duration_s=3600
            ),
        }.items():
            # Named as the sandbox will see it once the folder is uploaded.
            (configs / Path(LAYOUT.config(name)).name).write_text(harness_config.render(values))

        cache = harness_cache_dir(
            machine.build_cache_key, spec.environment.compiler.cxx, digest_of(pristine)
        )
        budget = announce_budget(request, bundle, cache, observer)
        sandbox = await machine.open(
            run_id=request.run_id,
            iteration=request.iteration,
            limits=limits,
            data_volume=spec.requirement.durability != "none",
            # A machine that holds an allocation for the evaluation bounds it by the budget.
            time_limit_s=budget.overall_s or None,
        )
        async with sandbox:
            run = EvalRun(request, sandbox, observer, rng, cpus, pristine=pristine, budget=budget)
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
            if built.ok:
                await _gates_and_benchmark(run)
            gates = [run.gates[name] for name in GATE_ORDER if name in run.gates]
            return eval_result(
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


def _build_gate(built: BuildOutcome) -> GateResult:
    seconds = sum(step.wall_s for step in built.steps)
    if built.ok:
        return GateResult(name="build", passed=True, detail="compiled and linked", seconds=seconds)
    return GateResult(name="build", passed=False, detail=built.detail, seconds=seconds)


async def _gates_and_benchmark(run: EvalRun) -> None:
    spec = run.spec
    run.observer.on_step("integrity")
    integrity = await integrity_gate(run)

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

    if spec.requirement.durability != "none":
        run.observer.on_step("durability")
        run.record(await durability_gate(run, LAYOUT.config("durability")))

    run.observer.on_step("benchmark")
    await run.reset_data()
    watch, timeout = bench_watch(run)

    arrivals: list[tuple[float, float]] = []

    def tick(t: BenchTick) -> None:
        arrivals.append((time.monotonic(), t.t_s))
        run.timeline.append(TimelinePoint(t_s=t.t_s, ops_s=t.ops_s))
        run.observer.on_tick(t)

    bench = await run_mode(
        run.sandbox, "bench", run_conf, timeout_s=timeout, on_tick=tick, watch=watch
    )
    run.log("benchmark", bench)
    skew = clock_skew(arrivals)
    if skew is not None:
        run.tampering.append(skew)
    run.figures = figures_from(bench)
    if run.figures is not None and run.figures.clock_tampering:
        run.tampering.append(f"clock tampering: {run.figures.clock_tampering}")
    if run.figures is None:
        run.partial_ops_s = watch.run_ops_s
    run.record(benchmark_gate(bench, run.figures, timeout, run.partial_ops_s))

    run.observer.on_step("memory")
    await run.reset_data()
    watch, timeout = gate_watch(run, "canary")
    canary = await run_mode(
        run.sandbox, "bench", LAYOUT.config("canary"), timeout_s=timeout, watch=watch
    )
    run.log("canary", canary)
    run.record(memory_gate(spec, bench, run.figures, canary, timeout))

    if run.tampering and integrity.passed:
        integrity = GateResult(name="integrity", passed=False, detail="; ".join(run.tampering))
    run.record(integrity)
