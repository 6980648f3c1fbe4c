"""Every baseline's throughput on specs/demo.yaml, measured fresh on this machine.

Run: .venv/bin/python benchmarks/baselines_demo.py [SPEC] [--full]
Prints one row per baseline (verdict, ops/s, p99 per op, peak memory) and the best
comparable one. Compare figures within one run: machines here are shared and noisy.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from jitskit_tui.harness.baseline_runs import run_baselines
from jitskit_tui.harness.config import Size
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec
from jitskit_tui.spec.units import format_bytes


async def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    spec = load_spec(Path(args[0]) if args else Path("specs/demo.yaml"))
    size: Size = "full" if "--full" in sys.argv else "quick"
    report = await run_baselines(spec, LocalMachine(), refresh=True, size=size)
    print(f"spec {spec.name} ({size}): {spec.workload.describe()}")
    print(
        f"{'baseline':<12}{'verdict':<9}{'ops/s':>14}{'p99 read us':>13}{'p99 upd us':>12}"
        f"{'peak mem':>12}"
    )
    for result in report.results:
        read = result.ops.get("read")
        update = result.ops.get("update")
        print(
            f"{result.name:<12}{result.verdict:<9}{result.throughput_ops_s:>14,.0f}"
            f"{read.p99_us if read else 0:>13.2f}{update.p99_us if update else 0:>12.2f}"
            f"{format_bytes(result.memory_peak_bytes):>12}"
        )
        for gate in result.failed_gates:
            print(f"    failed {gate.name}: {gate.detail.splitlines()[0]}")
    for name, why in report.skipped.items():
        print(f"{name:<12}not comparable: {why}")
    print(f"best comparable: {report.best_comparable} ({report.best_comparable_ops_s:,.0f} ops/s)")
    if report.results:
        print(
            f"machine: {report.results[0].machine.cpu_model}, "
            f"{report.results[0].machine.cpu_count} CPUs"
        )


if __name__ == "__main__":
    asyncio.run(main())
