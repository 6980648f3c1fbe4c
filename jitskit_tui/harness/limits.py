"""The sandbox limits a spec asks for, fitted to the machine that will run it."""

from __future__ import annotations

from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.sandbox.base import BenchMachine, Limits
from jitskit_tui.spec.model import SpecCard


def limits_for(
    spec: SpecCard, machine: BenchMachine, facts: MachineFacts
) -> tuple[Limits, tuple[int, ...] | None, list[str]]:
    """The sandbox limits, the CPUs the harness pins threads to, and warnings.

    A machine smaller than the card was refused before this unless the user allowed it
    (:mod:`machine_fit`); here the limits shrink to what the machine has, and a warning
    says so, so the sandbox still opens.
    """
    env = spec.environment
    warnings: list[str] = []
    cpuset = env.cpu_list
    available = facts.cpu_ids or list(range(facts.cpu_count))
    cpus = float(env.cpus)
    if available and (len(available) < env.cpus or any(c not in available for c in cpuset or ())):
        fitted = tuple(available[: env.cpus])
        warnings.append(
            f"the spec asks for {env.cpus} CPUs ({env.cpuset or 'any'}); this machine has "
            f"{len(available)}, so the benchmark ran on CPUs {list(fitted)}"
        )
        cpus = float(min(env.cpus, len(available)))
        cpuset = fitted if cpuset is not None or machine.label == "local" else None
    elif cpuset is None and machine.label == "local" and available:
        # This host pins to the CPUs it may use; other machines get a quota.
        cpuset = tuple(available[: env.cpus])
    memory = env.memory_limit
    if facts.memory_bytes and facts.memory_bytes < memory:
        memory = facts.memory_bytes
        warnings.append(
            f"the spec's memory limit is more than this machine's {facts.memory_bytes} bytes; "
            "the sandbox is limited to the machine's"
        )
    limits = Limits(
        cpus=cpus,
        memory_bytes=memory,
        cpuset=cpuset,
        pids=max(256, 8 * spec.workload.threads + 64),
    )
    return limits, cpuset, warnings
