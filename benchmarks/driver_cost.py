"""The benchmark driver's own cost per operation per thread.

Builds the harness with the almost-nothing store (``harness/stores/noop``) and runs a
50/50 read/update zipfian workload with latency recording and integrity sampling on,
as every benchmark runs. Time per operation per thread is then almost all driver:
trace read, the value's integrity stamp, a virtual call, the latency sampler (two
ordered clock reads and a histogram bucket for one operation in N) and a progress
counter, plus the noop store's value copy. Target: at most 15 ns (issue 12, point 10).
Each run also reports the harness's own floor (``driver_floor_ns_per_op``, the same
loop against a built-in store that does nothing, measured in the harness process), so
the line shows how much of the figure is the noop store's copy.

Two figures per thread count: wall time (elapsed x threads / operations, best of the
runs; honest only on an otherwise idle machine) and CPU time (the slope of the
process's user+system time between a short and a long run, which cancels trace
generation and load, and barely moves when other processes compete for the CPUs).
The line also shows the long run's own ``cpu_ns_per_op`` (the process's CPU time
over its run phase per operation, as the harness reports it for every store): the
same quantity from one process instead of the difference of two, so much steadier
when the machine is busy, where the slope's runs can spread by a factor of two.

    .venv/bin/python benchmarks/driver_cost.py [--threads 1,2] [--repeat 5] [--json OUT]
        [--against DIR]

``--against DIR`` also builds the harness sources in DIR (another tree's
``jitskit_tui/harness/cpp``, e.g. main's) and alternates runs of the two binaries, so a
before/after comparison shares the machine's conditions on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jitskit_tui.harness.build import read_sources  # noqa: E402

HARNESS = ROOT / "jitskit_tui" / "harness" / "cpp"
STORES = ROOT / "jitskit_tui" / "harness" / "stores"
TARGET_NS = 15.0


def _compile(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"build failed: {' '.join(argv)}\n{result.stderr}")


def build_harness(store: str, out: Path, harness: Path = HARNESS) -> Path:
    """Builds ``jitskit-harness`` from the sources in ``harness`` with
    ``stores/<store>/store.cc`` into ``out``, one compiler at a time, as the engine
    builds it."""
    out.mkdir(parents=True, exist_ok=True)
    sources = read_sources(harness)
    includes = [f"-I{harness / d}" for d in sources.include]
    objects = []
    for source in sources.harness:
        obj = out / (source.replace("/", "__") + ".o")
        _compile(["g++", *sources.flags, *includes, "-c", str(harness / source), "-o", str(obj)])
        objects.append(str(obj))
    store_obj = out / f"{store}.o"
    _compile(
        [
            "g++",
            "-std=c++17",
            "-O2",
            f"-I{harness / 'include'}",
            "-c",
            str(STORES / store / "store.cc"),
            "-o",
            str(store_obj),
        ]
    )
    binary = out / f"jitskit-harness-{store}"
    _compile(["g++", *objects, str(store_obj), *sources.link_flags, "-o", str(binary)])
    return binary


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_bench(binary: Path, settings: dict[str, object], workdir: Path) -> dict[str, Any]:
    """Runs ``bench`` with the given config and returns its result event, with the
    CPU seconds the run took added as ``cpu_s``."""
    config = workdir / "bench.cfg"
    config.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    cpu_before = children_cpu_s()
    result = subprocess.run(
        [str(binary), "bench", "--config", str(config)], capture_output=True, text=True
    )
    cpu_s = children_cpu_s() - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"bench failed ({result.returncode}):\n{result.stderr}")
    for line in reversed(result.stdout.splitlines()):
        event = json.loads(line)
        if event.get("event") == "result":
            return {**event, "cpu_s": cpu_s}
    raise SystemExit("bench printed no result line")


def measure(binary: Path, threads: int, ops_per_thread: int, workdir: Path) -> dict[str, Any]:
    """One short and one long run: wall ns/op/thread of the long one, and CPU ns/op from
    the difference between the two."""
    cpus = sorted(os.sched_getaffinity(0))
    settings: dict[str, object] = {
        "value_size": 64,
        "threads": threads,
        "cpus": ",".join(str(c) for c in cpus[:threads]),
        "record_count": 1000,
        "trace_ops": 4_000_000,
        "mix_read": 0.5,
        "mix_update": 0.5,
        "distribution": "zipfian",
        "tick_ms": 1000,
        "seed": 1,
    }
    short_ops = ops_per_thread // 3 * threads
    long_ops = ops_per_thread * threads
    # Both runs generate the same trace (the long one loops over it), so the
    # difference between them is run-phase work only.
    settings["trace_ops"] = min(4_000_000, short_ops)
    short = run_bench(binary, {**settings, "operation_count": short_ops}, workdir)
    long = run_bench(binary, {**settings, "operation_count": long_ops}, workdir)
    return {
        "wall_ns": long["elapsed_s"] * 1e9 * threads / long["total_ops"],
        "cpu_ns": (long["cpu_s"] - short["cpu_s"]) * 1e9 / (long_ops - short_ops),
        "clock": long["clock"],
        "machine": long["machine"],
        "floor_ns": long.get("driver_floor_ns_per_op"),
        "run_cpu_ns": long["cpu_ns_per_op"],
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    wall = sorted(r["wall_ns"] for r in runs)
    cpu = sorted(r["cpu_ns"] for r in runs)
    return {
        "wall_best_ns": wall[0],
        "wall_median_ns": statistics.median(wall),
        "cpu_median_ns": statistics.median(cpu),
        "cpu_runs_ns": cpu,
        "run_cpu_median_ns": statistics.median(r["run_cpu_ns"] for r in runs),
        "floor_median_ns": statistics.median(r["floor_ns"] for r in runs)
        if all(r["floor_ns"] is not None for r in runs)
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="thread counts, comma separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per thread count")
    parser.add_argument("--ops", type=int, default=10_000_000, help="operations per thread")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--against", type=Path, help="another harness source folder to compare, runs alternated"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jitskit-driver-cost-") as tmp:
        workdir = Path(tmp)
        print("building the harness with the noop store ...", flush=True)
        binaries = {"this tree": build_harness("noop", workdir / "this")}
        if args.against:
            binaries["against"] = build_harness("noop", workdir / "against", args.against)
        figures: dict[str, Any] = {"target_ns": TARGET_NS, "threads": {}}
        for threads in (int(t) for t in args.threads.split(",")):
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in binaries}
            for _ in range(args.repeat):
                for name, binary in binaries.items():
                    runs[name].append(measure(binary, threads, args.ops, workdir))
            figures["threads"][str(threads)] = {name: summarize(r) for name, r in runs.items()}
            figures["clock"] = runs["this tree"][0]["clock"]
            figures["machine"] = runs["this tree"][0]["machine"]
            for name, summary in figures["threads"][str(threads)].items():
                cpu = summary["cpu_median_ns"]
                verdict = "within" if cpu <= TARGET_NS else "OVER"
                floor = summary["floor_median_ns"]
                floor_text = f", harness's own floor {floor:.1f}" if floor is not None else ""
                print(
                    f"{name}, {threads} thread(s): CPU {cpu:.1f} ns/op/thread "
                    f"(median of {args.repeat}; {verdict} the {TARGET_NS:.0f} ns target), "
                    f"wall best {summary['wall_best_ns']:.1f}, "
                    f"median {summary['wall_median_ns']:.1f}, "
                    f"in-run CPU {summary['run_cpu_median_ns']:.1f}{floor_text}",
                    flush=True,
                )
        machine = figures["machine"]
        print(
            f"clock {figures['clock']}; {machine['cpu_model']}, {machine['cpu_count']} CPUs, "
            f"{machine['kernel']}, {machine['compiler']}"
        )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
