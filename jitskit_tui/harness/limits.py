"""The sandbox limits a spec asks for, fitted to the machine that will run it."""

from __future__ import annotations

import os

from jitskit_tui.sandbox.base import BenchMachine, Limits
from jitskit_tui.spec.model import SpecCard


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
