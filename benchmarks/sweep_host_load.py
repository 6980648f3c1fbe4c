"""The engine host's own load per concurrent loop of a sweep: CPU and memory of the
process running `jitskit sweep` (and of what it starts on this host: git, srun, squeue,
sbatch; on `local` also the jailed harness, so use a Slurm machine to see the host's own
share) for N loops running at once, with the scripted agent at instant pace.

Prints, for each N given: wall time, CPU seconds (user + system), CPU per loop as a share
of a core over the sweep's wall time, and the peak resident memory of the largest process
(the sweep's own, which holds every loop's engine).

    python benchmarks/sweep_host_load.py --machine slurm://bench --loops 1 2 4
    python benchmarks/sweep_host_load.py --card tests/engine/tiny.yaml --iterations 2

The cards are copies of ``--card`` renamed `load-1` ... `load-N`, so no two share a
baseline cache entry; baselines are not measured (`--no-baselines`): they are evaluations
like the others and would only lengthen the run.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JITSKIT = Path(sys.executable).with_name("jitskit")
TRAJECTORY = REPO / "tests" / "engine" / "trajectory"


def cards(card: Path, count: int, folder: Path) -> list[Path]:
    text = card.read_text()
    name_line = next(line for line in text.splitlines() if line.startswith("name:"))
    made = []
    for index in range(1, count + 1):
        path = folder / f"load-{index}.yaml"
        path.write_text(text.replace(name_line, f"name: load-{index}", 1))
        made.append(path)
    return made


def measure(card: Path, loops: int, machine: str, iterations: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="jitskit-sweep-load-") as tmp:
        folder = Path(tmp)
        argv = [
            str(JITSKIT), "sweep", *map(str, cards(card, loops, folder)),
            "--machine", machine, "--parallel", str(loops), "--agent", "scripted",
            "--pace", "instant", "--trajectory", str(TRAJECTORY), "--no-baselines",
            "--iterations", str(iterations), "--workspace", str(folder / "sweep"),
        ]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = done.stdout[-2000:] + done.stderr
        raise SystemExit(f"the sweep failed ({done.returncode}):\n{tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "cores_per_loop": cpu / wall / loops,
        "peak_rss_mb": after.ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", default="local")
    parser.add_argument("--card", type=Path, default=REPO / "tests" / "engine" / "tiny.yaml")
    parser.add_argument("--loops", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--iterations", type=int, default=2)
    args = parser.parse_args()
    print(f"machine {args.machine}, card {args.card.name}, {args.iterations} iterations a loop")
    print(f"{'loops':>5} {'wall s':>8} {'cpu s':>8} {'cores/loop':>11} {'largest RSS MB':>15}")
    for loops in args.loops:
        row = measure(args.card, loops, args.machine, args.iterations)
        print(
            f"{loops:>5} {row['wall_s']:>8.1f} {row['cpu_s']:>8.2f} "
            f"{row['cores_per_loop']:>11.3f} {row['peak_rss_mb']:>15.0f}"
        )


if __name__ == "__main__":
    main()
