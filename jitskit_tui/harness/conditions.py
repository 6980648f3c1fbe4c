"""What the benchmark machine was doing around the trials, and how it was set up.

Read through the evaluation's own sandbox, so it works on every kind of machine: the load
averages and the CPU counters of ``/proc`` are the whole machine's even inside a jail or
a container, and a quiet quarter second with nothing of ours running tells how much CPU the
rest of the machine used. The jail's own view gives the CPUs the store may run on. Where
the machine is this host, its processes and its ``/sys`` settings (which a jail does not
show) are read here directly, so the busy processes can be named.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.protocol.measurement import MachineConditions
from jitskit_tui.sandbox.base import BenchMachine, EvalSandbox
from jitskit_tui.sandbox.local import LocalMachine

QUIET_S = 0.25
"""How long each probe watches the machine with nothing of ours running (the CPU
counters tick every 10 ms: 50 ticks on two CPUs)."""
BUSY_OTHER_CPU = 0.25
"""Others using a quarter of a CPU or more in the quiet window make the machine busy."""
BUSY_PROCESS = 0.25
"""One process not ours at 25% of a CPU or more makes it busy too."""
LISTED_PROCESS = 0.05
"""Processes at 5% of a CPU or more are named in the conditions."""

_SETTINGS = {
    "governor": "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor",
    "smt": "/sys/devices/system/cpu/smt/control",
    "thp": "/sys/kernel/mm/transparent_hugepage/enabled",
}

PROBE = f"""
echo "load $(cat /proc/loadavg)"
grep '^cpu[0-9]' /proc/stat | sed 's/^/before /'
grep '^Cpus_allowed_list' /proc/self/status
echo "governor $(cat {_SETTINGS["governor"]} 2>/dev/null | sort -u | tr '\\n' ' ')"
echo "smt $(cat {_SETTINGS["smt"]} 2>/dev/null)"
echo "thp $(cat {_SETTINGS["thp"]} 2>/dev/null)"
sleep {QUIET_S}
grep '^cpu[0-9]' /proc/stat | sed 's/^/after /'
"""


@dataclass
class Snapshot:
    """One probe of the machine."""

    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    other_cpu: float | None = None
    pinned: list[int] = field(default_factory=list)
    cpu_count: int = 0
    governor: str = "unknown"
    smt: str = "unknown"
    thp: str = "unknown"
    busy_processes: list[tuple[str, float]] = field(default_factory=list)
    """``(name (pid N), share of a CPU)`` of processes not ours, busiest first."""


async def probe(sandbox: EvalSandbox, machine: BenchMachine | None) -> Snapshot:
    """Watches the machine for a quiet moment, through the sandbox (and this host's own
    ``/proc`` and ``/sys`` when the machine is this host)."""
    local = isinstance(machine, LocalMachine)
    started = time.monotonic()
    before = await asyncio.to_thread(_process_times) if local else {}
    result = await sandbox.run(["sh", "-c", PROBE], timeout_s=30 + QUIET_S)
    snapshot = parse_probe(result.stdout)
    if local:
        after = await asyncio.to_thread(_process_times)
        snapshot.busy_processes = _busy(before, after, time.monotonic() - started)
        for name, path in _SETTINGS.items():
            if getattr(snapshot, name) == "unknown":
                setattr(snapshot, name, await asyncio.to_thread(_read_setting, path))
    return snapshot


def parse_probe(text: str) -> Snapshot:
    """The probe's output as a snapshot; what a machine does not show stays unknown."""
    snapshot = Snapshot()
    before: dict[str, list[int]] = {}
    after: dict[str, list[int]] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        words = rest.split()
        if key == "load" and len(words) >= 3:
            with contextlib.suppress(ValueError):
                snapshot.load = (float(words[0]), float(words[1]), float(words[2]))
        elif key in ("before", "after") and len(words) >= 5:
            with contextlib.suppress(ValueError):
                (before if key == "before" else after)[words[0]] = [int(w) for w in words[1:]]
        elif line.startswith("Cpus_allowed_list"):
            with contextlib.suppress(ValueError):
                snapshot.pinned = _cpu_list(line.split(":", 1)[1].strip())
        elif key in ("governor", "smt", "thp") and rest.strip():
            setattr(snapshot, key, _setting_text(rest))
    snapshot.cpu_count = len(before)
    watched = [f"cpu{c}" for c in snapshot.pinned] or list(before)
    snapshot.other_cpu = _busy_cpus(before, after, watched)
    return snapshot


def conditions(before: Snapshot, after: Snapshot) -> MachineConditions:
    """The conditions of one evaluation's trials from the probes around them."""
    processes: dict[str, float] = {}
    for name, share in (*before.busy_processes, *after.busy_processes):
        processes[name] = max(share, processes.get(name, 0.0))
    busiest = sorted(processes.items(), key=lambda item: -item[1])
    others = [s.other_cpu for s in (before, after) if s.other_cpu is not None]
    busy = any(o >= BUSY_OTHER_CPU for o in others) or any(
        share >= BUSY_PROCESS for _, share in busiest
    )
    listed = [f"{name} {share:.0%} CPU" for name, share in busiest if share >= LISTED_PROCESS]
    warning = ""
    if busy:
        used = f"others used up to {max(others):.1f} CPUs" if others else "others used CPU"
        named = f"; busiest: {', '.join(listed[:3])}" if listed else ""
        warning = (
            f"the machine was busy around the trials ({used} when ours were idle, load "
            f"{before.load[0]:.1f} before and {after.load[0]:.1f} after{named}): figures may "
            "be noisier and lower than on an idle machine; paired ratios suffer least"
        )
    return MachineConditions(
        load_before=before.load,
        load_after=after.load,
        other_cpu_before=before.other_cpu,
        other_cpu_after=after.other_cpu,
        busy_processes=listed,
        governor=after.governor,
        smt=after.smt,
        thp=after.thp,
        pinned_cpus=after.pinned or before.pinned,
        cpu_count=after.cpu_count or before.cpu_count,
        busy=busy,
        warning=warning,
    )


def _setting_text(raw: str) -> str:
    # THP prints every choice with the chosen one in brackets: keep the chosen one.
    text = " ".join(raw.split())
    if "[" in text and "]" in text:
        return text[text.index("[") + 1 : text.index("]")]
    return text or "unknown"


def _read_setting(pattern: str) -> str:
    values = sorted(
        {p.read_text().strip() for p in Path("/").glob(pattern.lstrip("/")) if p.is_file()}
    )
    if not values:
        return "none" if "cpufreq" in pattern else "unknown"
    return _setting_text(" ".join(values))


def _cpu_list(text: str) -> list[int]:
    cpus: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        if low.strip():
            cpus.extend(range(int(low), int(high or low) + 1))
    return cpus


def _busy_cpus(
    before: dict[str, list[int]], after: dict[str, list[int]], cpus: list[str]
) -> float | None:
    """CPUs' worth of time the ``cpus`` were busy between the two counter readings."""
    busy = total = 0
    for cpu in cpus:
        if cpu not in before or cpu not in after:
            continue
        delta = [b - a for a, b in zip(before[cpu], after[cpu], strict=False)]
        # user nice system idle iowait irq softirq steal: idle and iowait are not busy.
        idle = sum(delta[3:5])
        total += sum(delta[:8])
        busy += sum(delta[:8]) - idle
    if total <= 0:
        return None
    return len([c for c in cpus if c in before and c in after]) * busy / total


def _process_times() -> dict[str, tuple[str, int]]:
    """CPU ticks so far of every process on this host not started by this one."""
    ours = _our_processes()
    times: dict[str, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in ours:
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            times[entry.name] = (f"{name} (pid {entry.name})", int(fields[11]) + int(fields[12]))
    return times


def _our_processes() -> set[int]:
    """This process and everything it started (the sandbox's commands included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    ours = {os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in ours and pid not in ours:
                ours.add(pid)
                grew = True
    return ours


def _busy(
    before: dict[str, tuple[str, int]], after: dict[str, tuple[str, int]], seconds: float
) -> list[tuple[str, float]]:
    ticks = os.sysconf("SC_CLK_TCK")
    found = []
    for pid, (name, end) in after.items():
        if pid in before:
            share = (end - before[pid][1]) / ticks / seconds
            if share >= LISTED_PROCESS:
                found.append((name, share))
    return sorted(found, key=lambda item: -item[1])
