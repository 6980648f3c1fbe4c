"""What an evaluation pays for running in a Docker container instead of the local jail.

Times the sandbox operations an evaluation makes that do not depend on the store:
open (volumes, container create and start), uploading the harness and a store, a
trivial command, downloading a result directory, and close (container and volume
removal), on a Docker machine and on the local bubblewrap machine, and prints the
difference. Target: under 3 s added per evaluation on the local daemon.

    python benchmarks/docker_overhead.py [--machine unix:///var/run/docker.sock] [--rounds 5]
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
from jitskit_tui.sandbox.docker import open_machine

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
    out = LAYOUT.out
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
    cells = "  ".join(f"{step} {medians[step] * 1000:7.1f} ms" for step in medians)
    print(f"{name:>8}: {cells}")
    return medians


def per_evaluation(medians: dict[str, float]) -> float:
    fixed = sum(medians.get(step, 0.0) for step in ("open", "upload", "download", "close"))
    return fixed + COMMANDS_PER_EVALUATION * medians.get("exec", 0.0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", default="unix:///var/run/docker.sock")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    docker_machine = open_machine(args.machine)
    try:
        docker_times = await measure(docker_machine, args.rounds)
    finally:
        await docker_machine.aclose()
    local = _local_machine()
    local_times = await measure(local, args.rounds) if local else None
    print(f"medians over {args.rounds} rounds (harness + store upload, 1 MiB download)")
    docker_medians = _report("docker", docker_times)
    docker_total = per_evaluation(docker_medians)
    line = f"docker: {docker_total:.2f} s per evaluation ({COMMANDS_PER_EVALUATION} commands)"
    if local_times is not None:
        local_total = per_evaluation(_report("local", local_times))
        added = docker_total - local_total
        line += f"; local: {local_total:.2f} s; added by Docker: {added:.2f} s (target < 3 s)"
    print(line)


if __name__ == "__main__":
    asyncio.run(main())
