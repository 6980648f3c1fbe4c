"""Whether the benchmark machine is as large as the card: refuse, or run it marked.

A card's figures mean something only on the machine it describes: 4 pinned CPUs, 2 GiB,
a disk under the data. A machine short of any of these is refused before anything is
built (:class:`MachineTooSmall`, exit 3), naming what the card needs and what the
machine has; ``--allow-smaller-machine`` runs it anyway, and every figure then carries
the sentence :func:`smaller_machine` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.sandbox.base import MachineTooSmall
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.spec.units import format_bytes

ALLOW_FLAG = "--allow-smaller-machine"
SMALLER_PREFIX = "measured on a smaller machine than the card"


@dataclass(frozen=True)
class Shortfall:
    """One thing the machine has less of than the card asks."""

    needs: str
    """What the card needs, as a phrase: ``4 CPUs (cpuset 0-3)``."""
    has: str
    """What the machine has instead: ``2 CPUs (0-1)``."""
    short: str
    """The pair in a few words, for marks and trailers: ``card 4 CPUs, machine 2``."""


def shortfalls(spec: SpecCard, facts: MachineFacts) -> list[Shortfall]:
    """Everything the machine lacks for the card; empty when it fits (or when a fact
    could not be read: an unknown is not a shortfall, the warnings say so)."""
    env, found = spec.environment, []
    cpus = _cpu_shortfall(spec, facts)
    if cpus is not None:
        found.append(cpus)
    if facts.memory_bytes and facts.memory_bytes < env.memory_limit:
        found.append(
            Shortfall(
                needs=f"{format_bytes(env.memory_limit)} of memory (environment.memory_limit)",
                has=f"{format_bytes(facts.memory_bytes)}",
                short=f"card {format_bytes(env.memory_limit)}, "
                f"machine {format_bytes(facts.memory_bytes)}",
            )
        )
    data = env.data_dir
    if spec.requirement.durability == "none" or data is None or data.medium != "disk":
        return found
    if facts.data_medium == "tmpfs":
        found.append(
            Shortfall(
                needs="a disk under its data directory (data_dir.medium: disk)",
                has="its data volume in memory (tmpfs), which power loss empties",
                short="card data on disk, machine tmpfs",
            )
        )
    elif facts.data_free_bytes and facts.data_free_bytes < data.size:
        found.append(
            Shortfall(
                needs=f"{format_bytes(data.size)} of disk for its data (data_dir.size)",
                has=f"{format_bytes(facts.data_free_bytes)} free",
                short=f"card disk {format_bytes(data.size)}, "
                f"machine {format_bytes(facts.data_free_bytes)} free",
            )
        )
    return found


def _cpu_shortfall(spec: SpecCard, facts: MachineFacts) -> Shortfall | None:
    env = spec.environment
    if not facts.cpu_count:
        return None
    ids = facts.cpu_ids or list(range(facts.cpu_count))
    missing = [c for c in env.cpu_list or () if c not in ids]
    if facts.cpu_count >= env.cpus and not missing:
        return None
    wanted = f"{env.cpus} CPUs" + (f" (cpuset {env.cpuset})" if env.cpuset else "")
    has = f"{facts.cpu_count} CPU{'s' if facts.cpu_count != 1 else ''} ({_cpu_text(ids)})"
    if missing and facts.cpu_count >= env.cpus:
        has += f", without CPU{'s' if len(missing) > 1 else ''} {_cpu_text(missing)}"
    short = f"card {env.cpus} CPUs, machine {facts.cpu_count}"
    return Shortfall(needs=wanted, has=has, short=short)


def _cpu_text(ids: list[int]) -> str:
    """``0-3,6``: runs of consecutive ids joined, as the kernel writes CPU lists."""
    runs: list[list[int]] = []
    for cpu in sorted(ids):
        if runs and cpu == runs[-1][-1] + 1:
            runs[-1].append(cpu)
        else:
            runs.append([cpu])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def refusal(spec: SpecCard, facts: MachineFacts, found: list[Shortfall]) -> MachineTooSmall:
    """The refusal to evaluate ``spec`` on a machine short of ``found``."""
    needs = "; ".join(f"it needs {s.needs}, the machine has {s.has}" for s in found)
    return MachineTooSmall(
        facts.host,
        f"this machine is smaller than the card {spec.name}: {needs}",
        f"evaluate on a machine that has what the card asks (--machine, or the card's "
        f"environment.machine), or add {ALLOW_FLAG} to run it here anyway, every figure "
        f"marked as {SMALLER_PREFIX}",
    )


def smaller_machine(found: list[Shortfall]) -> str:
    """``measured on a smaller machine than the card: card 4 CPUs, machine 2``, or ``""``."""
    if not found:
        return ""
    return f"{SMALLER_PREFIX}: " + "; ".join(s.short for s in found)


def check_fit(spec: SpecCard, facts: MachineFacts, *, allow_smaller: bool) -> tuple[str, list[str]]:
    """The smaller-machine sentence for the results (empty when the machine fits), and
    warnings for facts that could not be checked; raises :class:`MachineTooSmall` when
    the machine falls short and that is not allowed."""
    found = shortfalls(spec, facts)
    if found and not allow_smaller:
        raise refusal(spec, facts, found)
    unknown = []
    if not facts.cpu_count:
        unknown.append("its CPUs")
    if not facts.memory_bytes:
        unknown.append("its memory")
    warnings = (
        [f"{facts.host} did not say {' or '.join(unknown)}; the card's were not checked"]
        if unknown
        else []
    )
    return smaller_machine(found), warnings
