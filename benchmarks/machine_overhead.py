"""What an evaluation pays for running on another benchmark machine instead of the local jail.

Times the sandbox operations an evaluation makes that do not depend on the store:
open, uploading the harness and a store, a trivial command, downloading a result
directory, and close, on the machine named and on the local bubblewrap machine, and
prints the difference. On Docker, open is volumes plus container create and start, close
their removal; target under 3 s added per evaluation on the local daemon. On Slurm
(`slurm://PARTITION`), open is the exclusive allocation (sbatch until the job runs) plus
the first command in the jail, a command is an srun step on the node, close is scancel
until the job has ended.

    python benchmarks/machine_overhead.py [--machine unix:///var/run/docker.sock] [--rounds 5]
    python benchmarks/machine_overhead.py --machine slurm://bench
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import BenchMachine, Limits
from jitskit_tui.sandbox.machines import machine_for

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO / "jitskit_tui" / "harness" / "cpp"
STORE = REPO / "jitskit_tui" / "harness" / "stores" / "reference"
T = TypeVar("T")
LIMITS = Limits(cpus=2, memory_bytes=1 << 30)
STEPS = ("open", "upload", "exec", "download", "close")
# An evaluation runs about this many commands (build steps, gates, bench, canary, checks).
COMMANDS_PER_EVALUATION = 30


async def _timed(times: dict[str, list[float]], step: str, action: Awaitable[T]) -> T:
    started = time.perf_counter()
    result = await action
    times.setdefault(step, []).append(time.perf_counter() - started)
    return result


async def measure(machine: BenchMachine, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    out = f"{LAYOUT.work}/out"
    await machine.check()
    for index in range(rounds + 1):
        sample: dict[str, list[float]] = {}
        sandbox = await _timed(
            sample,
            "open",
            machine.open(
                run_id=f"overhead-{uuid.uuid4().hex[:6]}", iteration=index, limits=LIMITS,
                data_volume=True,
            ),
        )  # fmt: skip
        await _timed(sample, "upload", sandbox.upload(HARNESS, LAYOUT.harness))
        await _timed(sample, "upload", sandbox.upload(STORE, LAYOUT.store))
        for _ in range(3):
            await _timed(sample, "exec", sandbox.run(["true"], timeout_s=60))
        await sandbox.run(
            ["sh", "-c", f"mkdir -p {out} && head -c 1048576 /dev/zero > {out}/r.bin"],
            timeout_s=60,
            access="build",  # the working folder is read-only to a store's commands
        )
        with tempfile.TemporaryDirectory() as down:
            await _timed(sample, "download", sandbox.download(out, Path(down)))
        await _timed(sample, "close", sandbox.close())
        if index == 0:
            continue  # warm-up: first connection, reaping, facts probe
        for step, values in sample.items():
            # Per evaluation: uploads add up; a command's cost is per command.
            total = sum(values) if step != "exec" else statistics.mean(values)
            times.setdefault(step, []).append(total)
    return times


def _local_machine() -> BenchMachine | None:
    try:
        from jitskit_tui.sandbox.local import LocalMachine
    except ImportError:
        return None
    return LocalMachine()


def _report(name: str, times: dict[str, list[float]]) -> dict[str, float]:
    medians = {step: statistics.median(times[step]) for step in STEPS if step in times}
    cells = "  ".join(
        f"{step} {medians[step] * 1000:7.1f} ms [{min(times[step]) * 1000:.0f}-"
        f"{max(times[step]) * 1000:.0f}]"
        for step in medians
    )
    print(f"{name:>14}: {cells}")
    return medians


def per_evaluation(medians: dict[str, float]) -> float:
    fixed = sum(medians.get(step, 0.0) for step in ("open", "upload", "download", "close"))
    return fixed + COMMANDS_PER_EVALUATION * medians.get("exec", 0.0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", default="unix:///var/run/docker.sock")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine = machine_for(args.machine)
    try:
        times = await measure(machine, args.rounds)
    finally:
        await machine.aclose()
    local = _local_machine()
    local_times = await measure(local, args.rounds) if local else None
    print(f"medians [min-max] over {args.rounds} rounds (harness + store upload, 1 MiB download)")
    total = per_evaluation(_report(machine.label, times))
    line = f"{machine.label}: {total:.2f} s per evaluation ({COMMANDS_PER_EVALUATION} commands)"
    if local_times is not None:
        local_total = per_evaluation(_report("local", local_times))
        added = total - local_total
        line += f"; local: {local_total:.2f} s; added: {added:.2f} s (Docker target < 3 s)"
    print(line)


if __name__ == "__main__":
    asyncio.run(main())
