"""What one evaluation carries: its request, its observer, its state, and its result.

The gates and the orchestration share this plumbing; none of them decides a verdict
here except the final assembly into an :class:`EvalResult`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from jitskit_tui.harness import config as harness_config
from jitskit_tui.harness.bundle import Bundle
from jitskit_tui.harness.modes import ModeOutput, tampered
from jitskit_tui.protocol.results import (
    BenchFigures,
    BenchTick,
    EvalBudget,
    EvalResult,
    GateResult,
    MachineFacts,
    PhaseProgress,
    TimelinePoint,
)
from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access
from jitskit_tui.sandbox.base import EvalSandbox, Limits
from jitskit_tui.spec.model import SpecCard

GATE_TIMEOUT_S = 120.0


class EvalObserver(Protocol):
    """Receives an evaluation's progress as it happens."""

    def on_step(self, step: str) -> None: ...
    def on_tick(self, tick: BenchTick) -> None: ...
    def on_gate(self, gate: GateResult) -> None: ...
    def on_budget(self, budget: EvalBudget) -> None:
        """The phases' budgets and the overall bound, once, before the build."""

    def on_progress(self, progress: PhaseProgress) -> None:
        """How far the running phase got, at every harness progress line (10 a second):
        throttle before showing or logging."""


class QuietObserver:
    """An observer that ignores everything: for callers that only want the result."""

    def on_step(self, step: str) -> None:
        pass

    def on_tick(self, tick: BenchTick) -> None:
        pass

    def on_gate(self, gate: GateResult) -> None:
        pass

    def on_budget(self, budget: EvalBudget) -> None:
        pass

    def on_progress(self, progress: PhaseProgress) -> None:
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
    allow_smaller_machine: bool = False
    """Evaluate on a machine short of the card's CPUs, memory or disk instead of refusing;
    the result then says so (``EvalResult.smaller_machine``)."""


@dataclass
class EvalRun:
    """The state of one evaluation inside its sandbox, shared by the gates."""

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
    budget: EvalBudget = field(default_factory=EvalBudget)
    """Every phase's time budget (:mod:`budgets`), held to by the watchdogs."""
    partial_ops_s: float = 0.0
    """The throughput the benchmark's ticks showed when it ended without its result."""

    @property
    def spec(self) -> SpecCard:
        return self.request.spec

    def record(self, gate: GateResult) -> None:
        self.gates[gate.name] = gate
        self.observer.on_gate(gate)

    async def sh(self, script: str, timeout_s: float = 60.0, access: Access = "store") -> str:
        """Runs a shell script in the sandbox; by default with the store's access, which
        reads everything and writes only the data volume and /tmp."""
        result = await self.sandbox.run(["sh", "-c", script], timeout_s=timeout_s, access=access)
        return result.stdout

    async def reset_data(self) -> None:
        if self.spec.requirement.durability != "none":
            await self.sh(f"rm -rf {LAYOUT.store_data} && mkdir -p {LAYOUT.store_data}")

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


@dataclass(frozen=True)
class MachineSetting:
    """The machine an evaluation runs on, as read before anything was built."""

    facts: MachineFacts
    limits: Limits
    warnings: list[str]
    smaller_machine: str = ""
    """Empty, or the sentence marking every figure (:mod:`machine_fit`)."""


def eval_result(
    request: EvalRequest,
    gates: list[GateResult],
    figures: BenchFigures | None,
    timeline: list[TimelinePoint],
    logs: dict[str, str],
    setting: MachineSetting,
    sandbox: EvalSandbox | None = None,
    *,
    budget: EvalBudget | None = None,
    partial_ops_s: float = 0.0,
) -> EvalResult:
    """The evaluation's result: its gates, figures and the machine facts it ran under,
    complete whatever phase failed (the harness's own view fills what the machine could
    not say)."""
    limits, warnings = setting.limits, list(setting.warnings)
    if sandbox is not None:
        warnings += [w for w in sandbox.limits_applied.warnings if w not in warnings]
    facts = setting.facts
    if figures is not None:
        inside = figures.machine
        facts = facts.model_copy(
            update={
                name: getattr(inside, name)
                for name in ("cpu_model", "kernel", "compiler")
                if getattr(facts, name) == "unknown" and getattr(inside, name) != "unknown"
            }
        )
    applied = sandbox.limits_applied if sandbox else None
    facts = facts.model_copy(
        update={
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
        # A benchmark stopped before its result still shows what it measured: not counting.
        throughput_ops_s=figures.throughput_ops_s if figures else partial_ops_s,
        ops=figures.ops if figures else {},
        memory_peak_bytes=figures.memory_peak_bytes if figures else 0,
        memory_budget_bytes=request.spec.environment.store_memory_budget,
        timeline=timeline,
        machine=facts,
        spec_sha256=harness_config.spec_sha256(request.spec),
        size=request.size,
        warnings=warnings,
        logs=logs,
        smaller_machine=setting.smaller_machine,
        budget=budget,
    )
