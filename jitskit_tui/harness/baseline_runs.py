"""Running the real baselines on a spec, caching their results, and picking the ones a
candidate is paired with.

The best comparable baseline for a spec is the fastest adapter (by the median of its
trials) that meets the spec's durability and operations *and* passes the same gates a
candidate must pass. Results are cached by spec, machine, library version, adapter and
harness, so the gates run once per machine; the loop's ratios are then measured paired,
with the baselines as peers of each evaluation (:func:`baselines_to_pair`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from jitskit_tui.harness.baseline_catalog import Baseline, comparable, select
from jitskit_tui.harness.bundle import digest_of, file_digests, harness_digests
from jitskit_tui.harness.config import Size, spec_sha256
from jitskit_tui.harness.eval_run import EvalObserver, EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.harness.machine_fit import check_fit
from jitskit_tui.harness.peers import Peer
from jitskit_tui.protocol.results import BaselineReport, EvalResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec.model import SpecCard

BASELINE_SIDE = "baseline:"
"""A baseline measured beside a candidate is the side ``baseline:NAME``."""


def adapter_flags(baseline: Baseline, store: str = LAYOUT.store) -> tuple[str, ...]:
    """The fixed flags an adapter is compiled with, its sources in ``store``."""
    return ("-O2", f"-I{store}", *baseline.defines)


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jitskit" / "baselines"


def cache_key(spec: SpecCard, machine: BenchMachine, baseline: Baseline, size: Size) -> str:
    parts = [
        spec_sha256(spec),
        machine.cache_key,
        baseline.name,
        baseline.library_version(),
        digest_of(file_digests(baseline.source_dir())),
        *(digest_of(file_digests(d)) for d in baseline.include_dirs()),
        digest_of(harness_digests()),
        size,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _cached(key: str) -> EvalResult | None:
    path = cache_dir() / f"{key}.json"
    try:
        result = EvalResult.model_validate_json(path.read_text())
    except (OSError, ValueError):
        # A missing or damaged cache entry is measured again.
        return None
    # Measured before trials (one run, no interval): measured again, as trials.
    return result if result.throughput is not None else None


def _store(key: str, result: EvalResult) -> None:
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{key}.{os.getpid()}.tmp"
    tmp.write_text(result.model_dump_json(exclude={"logs"}))
    os.replace(tmp, directory / f"{key}.json")


def _adapter_store(baseline: Baseline, dest: Path) -> Path:
    """The adapter and its shared header, laid out as a store directory."""
    shutil.copytree(baseline.source_dir(), dest, ignore=shutil.ignore_patterns("*.md"))
    for include in baseline.include_dirs():
        for header in include.glob("*.h"):
            shutil.copy2(header, dest / header.name)
    return dest


def adapter_store(baseline: Baseline) -> Path:
    """The adapter laid out as a store directory that outlives this call (kept in the
    cache by its sources' digest), for evaluations that measure it as a peer."""
    digest = digest_of(
        {
            "adapter": digest_of(file_digests(baseline.source_dir())),
            **{str(d): digest_of(file_digests(d)) for d in baseline.include_dirs()},
        }
    )[:16]
    dest = cache_dir() / "adapters" / f"{baseline.name}-{digest}"
    if not dest.is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{baseline.name}-", dir=dest.parent))
        _adapter_store(baseline, staging / "store")
        # Another process may have laid it out first: the same files.
        with contextlib.suppress(OSError):
            (staging / "store").rename(dest)
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def baseline_peer(baseline: Baseline) -> Peer:
    """A baseline as a side of a candidate's evaluation: built and measured in its sandbox
    (its gates were judged when it was measured alone)."""
    side = BASELINE_SIDE + baseline.name
    return Peer(
        name=side,
        store_dir=adapter_store(baseline),
        store_flags=adapter_flags(baseline, f"{LAYOUT.peer(side)}/store"),
        link_libraries=tuple(lib.removeprefix("-l") for lib in baseline.libraries),
    )


def paired_baselines(report: BaselineReport) -> list[str]:
    """The names of the baselines a candidate is paired with: the best comparable one
    and every other passing comparable one whose interval overlaps it (the data cannot
    tell them apart), best first. A figure without an interval overlaps nothing."""
    passing = [r for r in report.results if r.verdict == "pass"]
    if not passing:
        return []
    best = max(passing, key=lambda r: r.throughput_ops_s)
    others = sorted(passing, key=lambda r: -r.throughput_ops_s)
    return [best.name] + [r.name for r in others if r is not best and _overlaps(r, best)]


def baselines_to_pair(report: BaselineReport) -> list[Peer]:
    """The baselines a candidate is paired with (:func:`paired_baselines`), as peers."""
    by_name = {b.name: b for b in select(None)}
    return [baseline_peer(by_name[name]) for name in paired_baselines(report) if name in by_name]


def _overlaps(one: EvalResult, other: EvalResult) -> bool:
    a, b = one.throughput, other.throughput
    if a is None or b is None or a.insufficient or b.insufficient:
        return False
    assert a.ci_low is not None and a.ci_high is not None
    assert b.ci_low is not None and b.ci_high is not None
    return a.ci_low <= b.ci_high and b.ci_low <= a.ci_high


async def run_baseline(
    spec: SpecCard,
    machine: BenchMachine,
    baseline: Baseline,
    *,
    size: Size = "quick",
    refresh: bool = False,
    observer: EvalObserver | None = None,
    allow_smaller_machine: bool = False,
) -> tuple[EvalResult, bool]:
    """One baseline's result and whether it came from the cache; a machine smaller than
    the card is refused first, cached or not, unless allowed."""
    check_fit(spec, await machine.facts(), allow_smaller=allow_smaller_machine)
    key = cache_key(spec, machine, baseline, size)
    if not refresh:
        cached = _cached(key)
        if cached is not None:
            return cached, True
    with tempfile.TemporaryDirectory(prefix=f"jitskit-{baseline.name}-") as tmp:
        store = _adapter_store(baseline, Path(tmp) / "store")
        request = EvalRequest(
            spec=spec,
            store_dir=store,
            name=baseline.name,
            size=size,
            run_id=f"baseline-{baseline.name}",
            store_flags=adapter_flags(baseline),
            link_libraries=tuple(lib.removeprefix("-l") for lib in baseline.libraries),
            allow_smaller_machine=allow_smaller_machine,
        )
        result = await evaluate(request, machine, observer)
    if result.verdict == "pass":
        _store(key, result)
    return result, False


async def run_baselines(
    spec: SpecCard,
    machine: BenchMachine,
    *,
    only: Iterable[str] | None = None,
    refresh: bool = False,
    size: Size = "quick",
    observer_for: Callable[[str], EvalObserver | None] = lambda name: None,
    allow_smaller_machine: bool = False,
) -> BaselineReport:
    """Runs (or recalls) every comparable baseline and names the fastest that passed."""
    chosen = select(only)
    usable = comparable(chosen, spec.requirement.durability, set(spec.requirement.operations))
    report = BaselineReport(results=[])
    for baseline in chosen:
        if baseline not in usable:
            report.skipped[baseline.name] = _why_not(baseline, spec)
    for baseline in usable:
        result, cached = await run_baseline(
            spec,
            machine,
            baseline,
            size=size,
            refresh=refresh,
            observer=observer_for(baseline.name),
            allow_smaller_machine=allow_smaller_machine,
        )
        report.results.append(result)
        if cached:
            report.cached.append(result.name)
    passing = [r for r in report.results if r.verdict == "pass"]
    if passing:
        best = max(passing, key=lambda r: r.throughput_ops_s)
        report.best_comparable = best.name
        report.best_comparable_ops_s = best.throughput_ops_s
    return report


def none_passed(report: BaselineReport) -> str:
    """Why ``report`` has no best comparable baseline, naming each failed gate and why
    (the first line of its detail), or that no baseline is comparable with the spec."""
    if not report.results:
        return "no baseline is comparable with this spec (each one's reason is above)"
    failures = []
    for result in report.results:
        gates = result.failed_gates or [g for g in result.gates if not g.passed]
        if not gates:
            failures.append(f"{result.name} failed without a failed gate named")
            continue
        why = "; ".join(f"{g.name}: {_first_line(g.detail)}" for g in gates)
        failures.append(f"{result.name} failed {why}")
    return "none passed the gates: " + "; ".join(failures)


def _first_line(text: str, limit: int = 200) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "no detail")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _why_not(baseline: Baseline, spec: SpecCard) -> str:
    if "scan" in spec.requirement.operations and not baseline.supports_scan:
        return "has no ordered scan"
    return (
        f"meets durability up to {baseline.strictest_durability()}, "
        f"the spec needs {spec.requirement.durability}"
    )


async def best_comparable(
    spec: SpecCard,
    machine: BenchMachine,
    *,
    size: Size = "quick",
    allow_smaller_machine: bool = False,
) -> tuple[str, float] | None:
    """The fastest comparable baseline that passes the gates, as (name, ops/s)."""
    report = await run_baselines(
        spec, machine, size=size, allow_smaller_machine=allow_smaller_machine
    )
    if report.best_comparable is None:
        return None
    return report.best_comparable, report.best_comparable_ops_s
