"""The side of a Slurm evaluation that runs on the node: one command, jailed and limited.

A Slurm step runs ``python3 -m jitskit_tui.sandbox.slurm_node``, staged on the node from
the shared staging folder. It makes a resource group on the node (as the local sandbox
makes one on this host), runs the bubblewrap command line the client built inside it,
samples its memory, and writes what happened to a status file outside the jail, where the
store cannot forge it. Standard output and error are the command's own, so the harness's
ticks reach the client as srun forwards them.

This module runs with the node's Python and nothing but the standard library and
:mod:`cgroups` (staged beside it): keep it that way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jitskit_tui.sandbox import cgroups

STARTED_SUFFIX = ".started"
SAMPLE_S = 0.02


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Writes atomically: the client never reads half a status."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)


class _Peak:
    """Samples the group's unreclaimable memory every 20 ms in a thread."""

    def __init__(self, group: cgroups.ResourceGroup) -> None:
        self.group = group
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while True:
            now = self.group.unreclaimable_memory()
            if now is not None:
                self.peak = now if self.peak is None else max(self.peak, now)
            if self._stop.wait(SAMPLE_S):
                return

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int | None:
        self._stop.set()
        self._thread.join()
        return self.peak


def pick_cpus(count: int, wanted: tuple[int, ...] | None) -> tuple[tuple[int, ...], list[str]]:
    """The CPUs the command runs on: the card's cpuset when the step may use it, else the
    first ``count`` CPUs Slurm bound the step to."""
    available = sorted(os.sched_getaffinity(0))
    if wanted and set(wanted) <= set(available):
        return wanted, []
    chosen = tuple(available[:count])
    warnings = []
    if wanted:
        warnings.append(
            f"the card's cpuset {','.join(map(str, wanted))} is not among the CPUs Slurm gave "
            f"the step ({','.join(map(str, available))}); ran on {','.join(map(str, chosen))}"
        )
    if len(chosen) < count:
        warnings.append(f"the step has {len(available)} CPUs where the card asks for {count}")
    return chosen, warnings


def run(
    status: Path,
    memory: int,
    pids: int,
    cpus: tuple[int, ...],
    argv: list[str],
    warnings: list[str],
) -> int:
    """Runs ``argv`` in a fresh group; writes ``status``; returns the command's status."""
    step = f"{os.environ.get('SLURM_JOB_ID', '')}.{os.environ.get('SLURM_STEP_ID', '')}"
    # The step id lets the client kill this step alone, without ending the allocation.
    write_json(status.with_name(status.name + STARTED_SUFFIX), {"step": step, "pid": os.getpid()})
    # Groups of runners killed with their step: nothing else removes them on a node.
    cgroups.reap_orphans()
    group = cgroups.create_group(memory, cpus, pids)
    procs = [str(p) for p in group.procs_files]

    def enter() -> None:
        # In the child before exec: join the group first, so nothing escapes the limits.
        for path in procs:
            with open(path, "w") as f:
                f.write(str(os.getpid()))
        if not group.cpuset_applied:
            os.sched_setaffinity(0, cpus)

    child = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, preexec_fn=enter, start_new_session=True
    )

    stopped_by: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        # Slurm cancels a step with SIGTERM then SIGKILL: end the whole jail at the first.
        stopped_by.append(signum)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        group.kill_all()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    peak = _Peak(group)
    peak.start()
    returncode = child.wait()
    peak_bytes = peak.stop()
    oom = group.oom_killed()
    group.remove()
    write_json(
        status,
        {
            "step": step,
            "returncode": returncode,
            "oom_killed": oom,
            "peak_memory_bytes": peak_bytes,
            "memory_limited": group.memory_limited,
            "pids_limited": group.pids_limited,
            "cpuset_applied": group.cpuset_applied,
            "cpus": list(cpus),
            "warnings": warnings + group.warnings,
            # Set when the step was signalled from outside (the allocation ended).
            "stopped_by": stopped_by[0] if stopped_by else None,
        },
    )
    return returncode if returncode >= 0 else 128 - returncode


def main(args: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slurm_node", description=__doc__)
    parser.add_argument("--status", type=Path, required=True)
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--pids", type=int, required=True)
    parser.add_argument("--cpus", type=int, required=True)
    parser.add_argument("--cpuset", default="", help="the card's CPUs, e.g. 0,1")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    ns = parser.parse_args(args)
    argv = ns.argv[1:] if ns.argv[:1] == ["--"] else ns.argv
    if not argv:
        parser.error("no command after --")
    wanted = tuple(int(c) for c in ns.cpuset.split(",") if c) or None
    cpus, warnings = pick_cpus(ns.cpus, wanted)
    return run(ns.status, ns.memory, ns.pids, cpus, argv, warnings)


if __name__ == "__main__":
    sys.exit(main())
