"""How far the benchmark's verdicts can be trusted, measured on the demo card (issue 12, 8).

- A/A: the demo's step-6 store against itself, paired trials as the loop runs them, N
  times: the share wrongly called `faster` or `slower` (target at most 5%).
- A/B: the reference store against its twin doing a fixed extra amount of work per
  operation, calibrated to be about 20% slower, N times: the share detected (target at
  least 95%).
- Interval width and the time the trials take, at the quick and the full size.
- The quick in-loop evaluation of the demo card: gates, then paired trials of a
  candidate (step 6), an incumbent (step 5) and the baselines to pair against (target
  at most 60 s).

Each evaluation runs as the loop runs one (the card's own trial settings), through the
real sandbox. The load average is recorded before and after each part: on a shared
machine the figures are noisier than on an idle one.

    .venv/bin/python benchmarks/measurement_quality.py [--runs 20] [--full-runs 3]
        [--loop-runs 3] [--parts aa,ab,full,loop] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from jitskit_tui.harness.baseline_runs import baselines_to_pair, run_baselines  # noqa: E402
from jitskit_tui.harness.config import Size  # noqa: E402
from jitskit_tui.harness.eval_run import EvalRequest  # noqa: E402
from jitskit_tui.harness.evaluate import evaluate  # noqa: E402
from jitskit_tui.harness.peers import Peer  # noqa: E402
from jitskit_tui.harness.stopping import trial_settings  # noqa: E402
from jitskit_tui.protocol.results import EvalResult  # noqa: E402
from jitskit_tui.sandbox.local import LocalMachine  # noqa: E402
from jitskit_tui.spec import SpecCard, load_spec  # noqa: E402

from support.observers import Recorder  # noqa: E402
from support.twins import REFERENCE, slower_twin  # noqa: E402

DEMO = ROOT / "specs" / "demo.yaml"
TRAJECTORY = ROOT / "jitskit_tui" / "agents" / "scripted" / "trajectories" / "demo"
TARGET_SLOWDOWN = 0.20


@dataclass
class Evaluation:
    """One evaluation's figures."""

    verdict: str
    ratio: float
    ci_low: float | None
    ci_high: float | None
    rounds: int
    seconds: float
    trials_seconds: float
    throughput_half_width: float | None
    ratio_half_width: float | None
    busy: bool


@dataclass
class Part:
    name: str
    evaluations: list[Evaluation] = field(default_factory=list)
    load_before: float = 0.0
    load_after: float = 0.0
    notes: dict[str, object] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        evals = self.evaluations
        if not evals:
            return {"name": self.name, **self.notes}
        widths = [e.ratio_half_width for e in evals if e.ratio_half_width is not None]
        own = [e.throughput_half_width for e in evals if e.throughput_half_width is not None]
        verdicts = {
            v: sum(1 for e in evals if e.verdict == v) for v in ("faster", "slower", "same")
        }
        return {
            "name": self.name,
            "runs": len(evals),
            "verdicts": verdicts,
            "median_ratio": statistics.median(e.ratio for e in evals),
            "median_ratio_half_width": statistics.median(widths) if widths else None,
            "median_throughput_half_width": statistics.median(own) if own else None,
            "median_rounds": statistics.median(e.rounds for e in evals),
            "median_seconds": statistics.median(e.seconds for e in evals),
            "max_seconds": max(e.seconds for e in evals),
            "median_trials_seconds": statistics.median(e.trials_seconds for e in evals),
            "busy_runs": sum(1 for e in evals if e.busy),
            "load_before": self.load_before,
            "load_after": self.load_after,
            **self.notes,
        }


class Clock(Recorder):
    """A recorder that also notes when the trials began and ended."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()
        self.trials_began: float | None = None
        self.trials_ended: float | None = None

    def on_step(self, step: str) -> None:
        super().on_step(step)
        if step == "benchmark" and self.trials_began is None:
            self.trials_began = time.monotonic()
        elif step == "memory" and self.trials_ended is None:
            self.trials_ended = time.monotonic()


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


async def one(
    spec: SpecCard, store: Path, peers: tuple[Peer, ...], size: Size, seed: int
) -> tuple[EvalResult, Evaluation]:
    clock = Clock()
    request = EvalRequest(spec=spec, store_dir=store, size=size, seed=seed, peers=peers)
    result = await evaluate(request, LocalMachine(), clock)
    ended = time.monotonic()
    comparison = next(iter(result.comparisons), None)
    began = clock.trials_began or ended
    evaluation = Evaluation(
        verdict=comparison.verdict if comparison else "none",
        ratio=comparison.ratio.point if comparison else math.nan,
        ci_low=comparison.ci_low if comparison else None,
        ci_high=comparison.ci_high if comparison else None,
        rounds=len(result.trials),
        seconds=ended - clock.started,
        trials_seconds=(clock.trials_ended or ended) - began,
        throughput_half_width=result.throughput.half_width if result.throughput else None,
        ratio_half_width=comparison.ratio.half_width if comparison else None,
        busy=bool(result.conditions and result.conditions.busy),
    )
    if result.verdict != "pass":
        failed = ", ".join(f"{g.name}: {g.detail[:80]}" for g in result.failed_gates)
        print(f"    (a gate failed: {failed})", file=sys.stderr)
    return result, evaluation


def show(part: Part, evaluation: Evaluation) -> None:
    low = f"{evaluation.ci_low:.3f}" if evaluation.ci_low else "-"
    high = f"{evaluation.ci_high:.3f}" if evaluation.ci_high else "-"
    print(
        f"  {part.name} #{len(part.evaluations)}: {evaluation.verdict:<6} "
        f"{evaluation.ratio:.3f} [{low}-{high}] {evaluation.rounds} rounds, "
        f"{evaluation.seconds:.0f}s (trials {evaluation.trials_seconds:.0f}s)"
        f"{' busy' if evaluation.busy else ''}",
        flush=True,
    )


async def repeated(
    name: str, spec: SpecCard, store: Path, peer: Peer, size: Size, runs: int
) -> Part:
    part = Part(name, load_before=load_average())
    for index in range(runs):
        _, evaluation = await one(spec, store, (peer,), size, seed=1000 + index)
        part.evaluations.append(evaluation)
        show(part, evaluation)
    part.load_after = load_average()
    return part


async def calibrated_twin(spec: SpecCard, folder: Path) -> tuple[Path, dict[str, object]]:
    """A twin about 20% slower than the reference on this card: the slowdown per extra
    step is read from the paired ratio of one pinned evaluation of a heavier twin (the
    ratio is what the A/B runs measure; CPU time per operation would miss waiting)."""
    probe_steps = 400
    heavy = slower_twin(folder / "heavy", probe_steps)
    settings = trial_settings(spec, "quick").pinned(5)
    request = EvalRequest(
        spec=spec, store_dir=REFERENCE, seed=1, trials=settings, peers=(Peer("heavy", heavy),)
    )
    result = await evaluate(request, LocalMachine(), Recorder())
    (comparison,) = result.comparisons
    per_step = max(1e-5, (comparison.ratio.point - 1.0) / probe_steps)
    steps = max(1, round(TARGET_SLOWDOWN / per_step))
    notes: dict[str, object] = {
        "probe_steps": probe_steps,
        "probe_ratio": comparison.ratio.point,
        "slowdown_per_step": per_step,
        "twin_steps": steps,
        "intended_slowdown": TARGET_SLOWDOWN,
    }
    print(f"  calibration: {notes}", flush=True)
    return slower_twin(folder / "twin", steps), notes


async def in_loop(spec: SpecCard, runs: int) -> Part:
    part = Part("in-loop quick (candidate + incumbent + baselines)", load_before=load_average())
    report = await run_baselines(spec, LocalMachine())
    baselines = tuple(baselines_to_pair(report))
    incumbent = Peer("incumbent", TRAJECTORY / "05" / "store", threshold=1 + spec.loop.min_effect)
    part.notes["baselines_paired"] = [p.name for p in baselines]
    for index in range(runs):
        _, evaluation = await one(
            spec, TRAJECTORY / "06" / "store", (incumbent, *baselines), "quick", 2000 + index
        )
        part.evaluations.append(evaluation)
        show(part, evaluation)
    part.load_after = load_average()
    return part


async def main_async(args: argparse.Namespace) -> list[dict[str, object]]:
    spec = load_spec(DEMO)
    parts = set(args.parts.split(","))
    out: list[dict[str, object]] = []
    step6 = TRAJECTORY / "06" / "store"
    with tempfile.TemporaryDirectory(prefix="jitskit-quality-") as tmp:
        if "aa" in parts:
            print("A/A: demo step 6 against itself (quick)", flush=True)
            part = await repeated(
                "A/A quick", spec, step6, Peer("A", step6, threshold=1.0), "quick", args.runs
            )
            out.append(part.summary())
        if "ab" in parts:
            print("A/B: reference against its ~20% slower twin (quick)", flush=True)
            twin, notes = await calibrated_twin(spec, Path(tmp))
            part = await repeated(
                "A/B quick", spec, REFERENCE, Peer("twin", twin, threshold=1.0), "quick", args.runs
            )
            part.notes.update(notes)
            out.append(part.summary())
        if "full" in parts:
            print("A/A at the full size", flush=True)
            part = await repeated(
                "A/A full", spec, step6, Peer("A", step6, threshold=1.0), "full", args.full_runs
            )
            out.append(part.summary())
        if "loop" in parts:
            print("the quick in-loop evaluation", flush=True)
            out.append((await in_loop(spec, args.loop_runs)).summary())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="A/A and A/B evaluations each")
    parser.add_argument("--full-runs", type=int, default=3)
    parser.add_argument("--loop-runs", type=int, default=3)
    parser.add_argument("--parts", default="aa,ab,full,loop")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    summaries = asyncio.run(main_async(args))
    print()
    for summary in summaries:
        print(json.dumps(summary, default=str))
    for summary in summaries:
        verdicts = summary.get("verdicts")
        if not isinstance(verdicts, dict):
            continue
        runs = summary["runs"]
        assert isinstance(runs, int)
        if str(summary["name"]).startswith("A/A"):
            wrong = verdicts["faster"] + verdicts["slower"]
            print(f"{summary['name']}: wrongly called different {wrong}/{runs} (target <= 5%)")
        elif str(summary["name"]).startswith("A/B"):
            found = verdicts["faster"]
            print(f"{summary['name']}: detected {found}/{runs} (target >= 95%)")
    if args.json is not None:
        args.json.write_text(json.dumps(summaries, indent=2, default=str))


if __name__ == "__main__":
    main()
