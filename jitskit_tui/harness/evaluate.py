"""One evaluation of a store for a spec: build, gates, benchmark and memory canary.

Everything runs in a sandbox opened on the benchmark machine; the host only prepares
the bundle and reads results. A failed gate never stops the measurement: the result
still carries the throughput, marked as not counting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jitskit_tui.harness import config as harness_config
from jitskit_tui.harness.build import BINARY, SEALED, BuildOutcome, build, harness_cache_dir
from jitskit_tui.harness.bundle import (
    Bundle,
    BundleError,
    digest_of,
    harness_digests,
    make_bundle,
)
from jitskit_tui.harness.modes import (
    EXIT_TAMPERED,
    BenchTick,
    ModeOutput,
    crash_reason,
    figures_from,
    gate_from,
    run_mode,
    tampered,
)
from jitskit_tui.harness.results import (
    GATE_ORDER,
    BenchFigures,
    EvalResult,
    GateResult,
    MachineFacts,
    TimelinePoint,
)
from jitskit_tui.harness.symbols import describe, find_shadowing, parse_nm_posix
from jitskit_tui.harness.syscalls import check_sync_before_ack
from jitskit_tui.sandbox.base import BenchMachine, EvalSandbox, Limits
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.spec.units import format_bytes

GATE_TIMEOUT_S = 120.0
# Kernel and jail memory charged to the sandbox beside the store's.
SANDBOX_SLACK = 16 << 20
CONFIGS = "/work/configs"
OUT = "/work/out"
STAMP = "/work/build/.stamp"
_STRACE_CALLS = (
    "access,write,pwrite64,writev,pwritev,pwritev2,fallocate,ftruncate,fsync,fdatasync,"
    "msync,mmap,sync,syncfs,"
    "open,openat,openat2,creat"
)


class EvalObserver(Protocol):
    """Receives an evaluation's progress as it happens."""

    def on_step(self, step: str) -> None: ...
    def on_tick(self, tick: BenchTick) -> None: ...
    def on_gate(self, gate: GateResult) -> None: ...


class _Quiet:
    def on_step(self, step: str) -> None:
        pass

    def on_tick(self, tick: BenchTick) -> None:
        pass

    def on_gate(self, gate: GateResult) -> None:
        pass


@dataclass
class EvalRequest:
    spec: SpecCard
    store_dir: Path
    name: str = "candidate"
    size: harness_config.Size = "quick"
    run_id: str = "adhoc"
    iteration: int | None = None
    store_flags: tuple[str, ...] | None = None
    """Fixed compile flags (baseline adapters); ``None`` uses the spec's."""
    link_libraries: tuple[str, ...] = ()
    seed: int | None = None
    """Seeds the kill moment and the canary; ``None`` draws one."""
    prepare_bundle: Callable[[Bundle], None] | None = None
    """Test hook: runs on the host bundle before upload."""


def limits_for(
    spec: SpecCard, machine: BenchMachine
) -> tuple[Limits, tuple[int, ...] | None, list[str]]:
    """The sandbox limits, the CPUs the harness pins threads to, and warnings."""
    env = spec.environment
    warnings: list[str] = []
    cpuset = env.cpu_list
    if machine.label == "local":
        available = sorted(os.sched_getaffinity(0))
        if cpuset is None:
            cpuset = tuple(available[: env.cpus])
        missing = [c for c in cpuset if c not in available]
        if missing or len(available) < env.cpus:
            warnings.append(
                f"the spec asks for {env.cpus} CPUs ({env.cpuset or 'any'}); this machine has "
                f"{len(available)}, so the benchmark ran on CPUs {available[: env.cpus]}"
            )
            cpuset = tuple(available[: env.cpus])
    limits = Limits(
        cpus=float(env.cpus),
        memory_bytes=env.memory_limit,
        cpuset=cpuset,
        pids=max(256, 8 * spec.workload.threads + 64),
    )
    return limits, cpuset, warnings


@dataclass
class _Run:
    request: EvalRequest
    sandbox: EvalSandbox
    observer: EvalObserver
    rng: random.Random
    cpus: tuple[int, ...] | None
    gates: dict[str, GateResult] = field(default_factory=dict)
    logs: dict[str, str] = field(default_factory=dict)
    timeline: list[TimelinePoint] = field(default_factory=list)
    figures: BenchFigures | None = None
    pristine: dict[str, str] = field(default_factory=dict)
    """The packaged harness's file digests, taken when the bundle was made."""
    harness_changed: list[str] = field(default_factory=list)
    """Harness files in the sandbox that differ from the packaged ones, before the build."""
    tampering: list[str] = field(default_factory=list)
    """Signs that the store interfered with the harness's measurement, found on the way."""

    @property
    def spec(self) -> SpecCard:
        return self.request.spec

    def record(self, gate: GateResult) -> None:
        self.gates[gate.name] = gate
        self.observer.on_gate(gate)

    async def sh(self, script: str, timeout_s: float = 60.0) -> str:
        result = await self.sandbox.run(["sh", "-c", script], timeout_s=timeout_s)
        return result.stdout

    async def reset_data(self) -> None:
        if self.spec.requirement.durability != "none":
            await self.sh(f"rm -rf {harness_config.DATA_DIR} && mkdir -p {harness_config.DATA_DIR}")

    def log(self, step: str, output: ModeOutput) -> None:
        reason = tampered(output)
        if reason is not None:
            self.tampering.append(f"{reason} (during {step})")
        for kind in ("result", "gate"):
            count = sum(1 for e in output.events if e.get("event") == kind)
            if count > 1:
                self.tampering.append(
                    f"the {step} run printed {count} '{kind}' lines where the harness prints "
                    "one: something in the store wrote to the harness's output"
                )
        text = output.run.stderr[-20_000:]
        if output.garbage:
            text += f"\n({output.garbage} lines on stdout were not harness output)"
        self.logs[step] = text


async def evaluate(
    request: EvalRequest, machine: BenchMachine, observer: EvalObserver | None = None
) -> EvalResult:
    """Evaluates one store; returns the result whatever the store does."""
    observer = observer or _Quiet()
    spec = request.spec
    limits, cpus, warnings = limits_for(spec, machine)
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
            return _result(request, [gate], None, [], {}, machine, warnings, limits)
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
            (configs / f"{name}.conf").write_text(harness_config.render(values))

        sandbox = await machine.open(
            run_id=request.run_id,
            iteration=request.iteration,
            limits=limits,
            data_volume=spec.requirement.durability != "none",
        )
        async with sandbox:
            warnings += list(sandbox.limits_applied.warnings)
            run = _Run(request, sandbox, observer, rng, cpus, pristine=pristine)
            await sandbox.upload(bundle.root, "/work")
            await sandbox.upload(configs, CONFIGS)
            run.harness_changed = await _changed_harness_files(run)
            observer.on_step("build")
            cache = harness_cache_dir(
                machine.build_cache_key, spec.environment.compiler.cxx, digest_of(pristine)
            )
            built = await build(
                sandbox,
                bundle,
                spec,
                store_flags=request.store_flags,
                link_libraries=request.link_libraries,
                object_cache=cache,
            )
            run.logs["build"] = built.log[-20_000:]
            run.record(_build_gate(built))
            if built.ok:
                await _gates_and_benchmark(run)
            gates = [run.gates[name] for name in GATE_ORDER if name in run.gates]
            return _result(
                request,
                gates,
                run.figures,
                run.timeline,
                run.logs,
                machine,
                warnings,
                limits,
                sandbox,
            )


def _build_gate(built: BuildOutcome) -> GateResult:
    seconds = sum(step.wall_s for step in built.steps)
    if built.ok:
        return GateResult(name="build", passed=True, detail="compiled and linked", seconds=seconds)
    return GateResult(name="build", passed=False, detail=built.detail, seconds=seconds)


async def _gates_and_benchmark(run: _Run) -> None:
    spec = run.spec
    await run.sh(f"mkdir -p {OUT} && touch {STAMP}")
    run.observer.on_step("integrity")
    integrity = await _integrity(run)

    run_conf = f"{CONFIGS}/run.conf"
    for gate in ("api", "concurrency"):
        run.observer.on_step(gate)
        await run.reset_data()
        output = await run_mode(run.sandbox, f"gate-{gate}", run_conf, timeout_s=GATE_TIMEOUT_S)
        run.log(gate, output)
        run.record(gate_from(output, gate, GATE_TIMEOUT_S))

    if spec.requirement.durability != "none":
        run.observer.on_step("durability")
        run.record(await _durability(run, f"{CONFIGS}/durability.conf"))

    run.observer.on_step("benchmark")
    await run.reset_data()
    sized = harness_config.run_size(spec, run.request.size)
    timeout = sized.duration_s + 120 + sized.record_count / 20_000

    arrivals: list[tuple[float, float]] = []

    def tick(t: BenchTick) -> None:
        arrivals.append((time.monotonic(), t.t_s))
        run.timeline.append(TimelinePoint(t_s=t.t_s, ops_s=t.ops_s))
        run.observer.on_tick(t)

    bench = await run_mode(run.sandbox, "bench", run_conf, timeout_s=timeout, on_tick=tick)
    run.log("benchmark", bench)
    skew = clock_skew(arrivals)
    if skew is not None:
        run.tampering.append(skew)
    run.figures = figures_from(bench)
    if run.figures is not None and run.figures.clock_tampering:
        run.tampering.append(f"clock tampering: {run.figures.clock_tampering}")
    run.record(_benchmark_gate(bench, run.figures, timeout))

    run.observer.on_step("memory")
    await run.reset_data()
    canary = await run_mode(run.sandbox, "bench", f"{CONFIGS}/canary.conf", timeout_s=120)
    run.log("canary", canary)
    run.record(_memory_gate(spec, bench, run.figures, canary))

    stray = await run.sh(
        f"find /work -newer {STAMP} -type f ! -path '{OUT}/*' ! -path '{STAMP}' | head -5"
    )
    if stray.strip():
        files = ", ".join(stray.split())
        run.tampering.append(
            f"the store wrote outside its data directory: {files}; a store may write "
            "only under StoreConfig::data_dir and $TMPDIR"
        )
    if run.tampering and integrity.passed:
        integrity = GateResult(name="integrity", passed=False, detail="; ".join(run.tampering))
    run.record(integrity)


def clock_skew(arrivals: list[tuple[float, float]]) -> str | None:
    """Whether the harness's clock disagreed with this host's during the benchmark.

    Ticks are printed every 250 ms of the harness's clock and timestamped here as they
    arrive; a store that slows the clock the harness measures with (to inflate its
    throughput) makes them arrive late by the same factor, however it did it.
    """
    if len(arrivals) < 6:
        return None
    host_span = arrivals[-1][0] - arrivals[1][0]
    reported = arrivals[-1][1] - arrivals[1][1]
    if reported < 1.0:
        return None
    if host_span > 1.5 * reported + 0.5 or host_span < reported / 1.5 - 0.5:
        return (
            f"the harness's clock ran at {reported / host_span:.2f}x this host's during the "
            f"benchmark ({reported:.1f}s measured, {host_span:.1f}s passed): the store "
            "interferes with the clock the harness measures with"
        )
    return None


async def _changed_harness_files(run: _Run) -> list[str]:
    listing = await run.sh("cd /work/harness && find . -type f -exec sha256sum {} + | sort -k2")
    seen = {}
    for line in listing.splitlines():
        digest, _, name = line.partition("  ")
        seen[name.removeprefix("./")] = digest
    pristine = run.pristine
    return sorted(n for n in pristine.keys() | seen.keys() if pristine.get(n) != seen.get(n))


async def _integrity(run: _Run) -> GateResult:
    pristine = run.pristine
    if run.harness_changed:
        shown = ", ".join(run.harness_changed[:5])
        return GateResult(
            name="integrity",
            passed=False,
            detail=f"harness files differ from the packaged harness: {shown}. The harness is "
            "not the agent's to change; restore it",
        )
    store_syms = parse_nm_posix(await run.sh("nm -P --defined-only /work/build/store/*.o"))
    harness_syms = parse_nm_posix(await run.sh(f"nm -P --defined-only {SEALED}"))
    libraries: dict[str, dict[str, str]] = {}
    ldd = await run.sh(f"ldd {BINARY}")
    for line in ldd.splitlines():
        if "=>" in line and "/" in line.split("=>", 1)[1]:
            path = line.split("=>", 1)[1].strip().split(" ")[0]
            name = path.rsplit("/", 1)[-1].split(".so", 1)[0]
            if name in {"libc", "libstdc++", "libm", "libgcc_s"}:
                libraries[name] = parse_nm_posix(await run.sh(f"nm -D -P --defined-only {path}"))
    found = find_shadowing(store_syms, harness_syms, libraries)
    if found:
        return GateResult(name="integrity", passed=False, detail=describe(found))
    return GateResult(
        name="integrity",
        passed=True,
        detail=f"harness unchanged ({len(pristine)} files); no shadowed symbols",
    )


async def _durability(run: _Run, run_conf: str) -> GateResult:
    spec = run.spec
    power_loss = spec.requirement.durability == "power_loss"
    await run.reset_data()
    acks = f"{OUT}/acks.log"
    prefix: tuple[str, ...] = ()
    extra: tuple[str, ...] = ("--ack-log", acks)
    if power_loss:
        prefix = (
            "strace",
            "-f",
            "-y",
            "-qq",
            "-o",
            f"{OUT}/strace.log",
            "-e",
            f"trace={_STRACE_CALLS}",
        )
        extra += ("--markers",)
    kill_after = run.rng.uniform(1.0, 2.5)
    argv = [*prefix, BINARY, "durability-writer", "--config", run_conf, *extra]
    outcome = await kill_mid_stream(run.sandbox, argv, kill_after)
    run.logs["durability-writer"] = outcome.log
    if outcome.failure is not None:
        return GateResult(name="durability", passed=False, detail=outcome.failure)
    if power_loss:
        trace = await run.sh(f"cat {OUT}/strace.log", timeout_s=60)
        check = check_sync_before_ack(trace, harness_config.DATA_DIR)
        if check.acknowledged == 0:
            return GateResult(
                name="durability",
                passed=False,
                detail=f"no write was acknowledged in {kill_after:.1f}s under the syscall tracer",
            )
        if not check.passed:
            return GateResult(
                name="durability",
                passed=False,
                detail=f"acknowledged before sync: {check.uncovered_count} of {check.acknowledged} "
                f"traced writes were acknowledged with no fsync/fdatasync/msync of the data "
                f"directory in between (first: {', '.join(check.uncovered)}); power_loss needs "
                "every write synced before Upsert returns",
            )
    verify = await run_mode(
        run.sandbox,
        "durability-verify",
        run_conf,
        timeout_s=GATE_TIMEOUT_S,
        extra=("--ack-log", acks),
    )
    run.log("durability-verify", verify)
    gate = gate_from(verify, "durability", GATE_TIMEOUT_S)
    if gate.passed:
        gate.detail = f"killed with SIGKILL after {kill_after:.1f}s; {gate.detail}"
    return gate


@dataclass
class _Killed:
    failure: str | None
    log: str


WRITER_OPEN_TIMEOUT_S = 60.0


async def kill_mid_stream(sandbox: EvalSandbox, argv: list[str], kill_after: float) -> _Killed:
    """Runs the durability writer and SIGKILLs it ``kill_after`` seconds into its write
    stream (counted from its `run` phase line, once the store is open)."""
    writing = asyncio.Event()
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        try:
            event = json.loads(line)
        except ValueError:
            return
        if isinstance(event, dict) and event.get("phase") == "run":
            writing.set()

    task = asyncio.create_task(
        sandbox.run(argv, timeout_s=WRITER_OPEN_TIMEOUT_S + kill_after + 30, on_stdout_line=on_line)
    )
    waiter = asyncio.create_task(writing.wait())
    try:
        await asyncio.wait(
            {task, waiter}, timeout=WRITER_OPEN_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if writing.is_set():
            await asyncio.wait({task}, timeout=kill_after)
        if not task.done():
            task.cancel()  # kill -9: cancelling a sandbox command SIGKILLs all it started
            await asyncio.wait({task})
            if writing.is_set():
                return _Killed(None, f"killed with SIGKILL {kill_after:.1f}s into the writes")
            return _Killed(
                f"the store did not open within {WRITER_OPEN_TIMEOUT_S:.0f}s", "\n".join(lines)
            )
        ended = task.result()
        log = "\n".join(lines) + "\n" + ended.stderr[-5000:]
        if ended.exit_code == EXIT_TAMPERED:
            return _Killed(
                f"the store interfered with the harness: {ended.stderr.strip()[-300:]}", log
            )
        for line in reversed(lines):
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and event.get("event") == "gate":
                    return _Killed(str(event.get("detail", "the writer failed")), log)
        return _Killed(
            f"the writer ended before it was killed: {crash_reason(ended, kill_after)}", log
        )
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})


def _benchmark_gate(bench: ModeOutput, figures: BenchFigures | None, timeout: float) -> GateResult:
    if figures is None:
        return GateResult(
            name="benchmark",
            passed=False,
            detail=f"the benchmark {crash_reason(bench.run, timeout)}",
        )
    problems = []
    if figures.errors:
        first = f" (first: {figures.first_error})" if figures.first_error else ""
        problems.append(f"{figures.errors} operations returned an error or a wrong status{first}")
    if figures.integrity_failures:
        first = figures.first_integrity_failure or (
            "a sampled read returned a value that was never written for that key"
        )
        problems.append(f"{figures.integrity_failures} integrity failures (first: {first})")
    if problems:
        return GateResult(
            name="benchmark", passed=False, detail="; ".join(problems), seconds=bench.run.wall_s
        )
    return GateResult(
        name="benchmark",
        passed=True,
        detail=f"{figures.throughput_ops_s:,.0f} ops/s over {figures.elapsed_s:.1f}s",
        seconds=bench.run.wall_s,
    )


def _memory_gate(
    spec: SpecCard, bench: ModeOutput, figures: BenchFigures | None, canary: ModeOutput
) -> GateResult:
    budget = spec.environment.store_memory_budget
    if bench.run.oom_killed:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"the benchmark was killed by the OOM killer at the "
            f"{format_bytes(spec.environment.memory_limit)} memory limit",
        )
    if figures is not None and figures.memory_peak_bytes > budget:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"peak memory {format_bytes(figures.memory_peak_bytes)} is over the store's "
            f"budget of {format_bytes(budget)}",
        )
    accounted = _sandbox_store_peak(bench)
    if accounted is not None and accounted > budget + max(SANDBOX_SLACK, budget // 20):
        # The sandbox's accounting sees every process and tmpfs page the store caused,
        # however it hid them from the harness's view of its own process.
        return GateResult(
            name="memory",
            passed=False,
            detail=f"the sandbox held {format_bytes(accounted)} for the store (its processes, "
            f"shared memory and tmpfs files included), over its budget of "
            f"{format_bytes(budget)}; the harness saw "
            f"{format_bytes(figures.memory_peak_bytes if figures else 0)}: memory held outside "
            "the store's process still counts",
        )
    canary_figures = figures_from(canary)
    if canary_figures is None:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"the canary run at an unseen budget {crash_reason(canary.run, 120)}",
        )
    if canary_figures.memory_peak_bytes > canary_figures.memory_budget_bytes:
        return GateResult(
            name="memory",
            passed=False,
            detail=f"in a canary run with a {format_bytes(canary_figures.memory_budget_bytes)} "
            f"budget the store peaked at {format_bytes(canary_figures.memory_peak_bytes)}: it "
            "ignores StoreConfig::mem_budget_bytes (sizes hard-coded for the benchmark?)",
        )
    peak = figures.memory_peak_bytes if figures else 0
    return GateResult(
        name="memory",
        passed=True,
        detail=f"peak {format_bytes(peak)} of {format_bytes(budget)}; canary peak "
        f"{format_bytes(canary_figures.memory_peak_bytes)} of "
        f"{format_bytes(canary_figures.memory_budget_bytes)}",
    )


def _sandbox_store_peak(output: ModeOutput) -> int | None:
    """The sandbox's peak non-file memory during a benchmark less the harness's baseline."""
    event = output.last("result")
    peak = output.run.peak_memory_bytes
    if event is None or peak is None:
        return None
    baseline = event.get("memory_baseline_bytes")
    if not isinstance(baseline, int):
        return None
    return max(0, peak - baseline)


def _result(
    request: EvalRequest,
    gates: list[GateResult],
    figures: BenchFigures | None,
    timeline: list[TimelinePoint],
    logs: dict[str, str],
    machine: BenchMachine,
    warnings: list[str],
    limits: Limits,
    sandbox: EvalSandbox | None = None,
) -> EvalResult:
    facts = figures.machine if figures else MachineFacts()
    applied = sandbox.limits_applied if sandbox else None
    facts = facts.model_copy(
        update={
            "host": machine.label,
            "limits": {
                "cpus": limits.cpus,
                "cpuset": list(limits.cpuset) if limits.cpuset else None,
                "memory_bytes": applied.memory_bytes if applied else limits.memory_bytes,
                "pids": applied.pids if applied else limits.pids,
            },
        }
    )
    passed = bool(gates) and all(g.passed or g.severity == "log" for g in gates)
    return EvalResult(
        name=request.name,
        verdict="pass" if passed and figures is not None else "fail",
        gates=gates,
        throughput_ops_s=figures.throughput_ops_s if figures else 0.0,
        ops=figures.ops if figures else {},
        memory_peak_bytes=figures.memory_peak_bytes if figures else 0,
        memory_budget_bytes=request.spec.environment.store_memory_budget,
        timeline=timeline,
        machine=facts,
        spec_sha256=harness_config.spec_sha256(request.spec),
        size=request.size,
        warnings=warnings,
        logs=logs,
    )
