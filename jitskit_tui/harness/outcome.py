"""An evaluation's result with its trials: the candidate's figure over its trials with
its interval, each peer's outcome, and the candidate's paired comparison with each."""

from __future__ import annotations

from jitskit_tui.harness import stats
from jitskit_tui.harness.measure import Measured
from jitskit_tui.harness.trials import Side, compare
from jitskit_tui.protocol.results import BenchFigures, EvalResult, PeerOutcome


def median_figures(side: Side) -> BenchFigures | None:
    """The trial whose throughput is the median (its latencies and per-op rates stand for
    the side's); ``None`` when no trial gave figures."""
    if not side.trials:
        return side.figures[0] if side.figures else None
    point = stats.median(side.throughputs)
    closest = min(side.trials, key=lambda t: abs(t.throughput_ops_s - point))
    by_index = {t.index: f for t, f in zip(side.trials, side.figures, strict=False)}
    return by_index.get(closest.index)


def with_trials(
    result: EvalResult, candidate: Side, peers: list[Side], measured: Measured, looks: int
) -> EvalResult:
    """``result`` (gates and the median trial's figures) completed with the trials."""
    throughput = candidate.throughput(looks)
    outcomes = {peer.name: peer_outcome(peer, looks) for peer in peers}
    comparisons = [
        found
        for peer in peers
        if outcomes[peer.name].verdict == "pass"
        and (found := compare(candidate, peer, looks)) is not None
    ]
    floors = [t.floor_ns_per_op for t in candidate.trials if t.floor_ns_per_op is not None]
    peaks = [f.memory_peak_bytes for f in candidate.figures]
    update: dict[str, object] = {
        "trials": candidate.trials,
        "throughput": throughput,
        "peers": outcomes,
        "comparisons": comparisons,
        "conditions": measured.conditions,
        "floor_ns_per_op": stats.median(floors) if floors else None,
    }
    if throughput is not None:
        update["throughput_ops_s"] = throughput.point
    if peaks:
        update["memory_peak_bytes"] = max(peaks)
    warnings = list(result.warnings)
    if measured.conditions is not None and measured.conditions.warning:
        warnings.append(measured.conditions.warning)
    unsteady = sum(1 for t in candidate.trials if t.unsteady)
    if candidate.trials and unsteady * 2 > len(candidate.trials):
        warnings.append(
            f"{unsteady} of {len(candidate.trials)} trials were unsteady (their steady "
            "window's halves differed by more than 10%): the store's speed drifts within a "
            "trial, or the machine was busy"
        )
    update["warnings"] = warnings
    return result.model_copy(update=update)


def peer_outcome(peer: Side, looks: int) -> PeerOutcome:
    gates = list(peer.run.gates.values())
    failed = [g for g in gates if not g.passed and g.severity == "gate"]
    throughput = peer.throughput(looks)
    return PeerOutcome(
        name=peer.name,
        verdict="fail" if failed or peer.broken or not peer.trials else "pass",
        gates=gates,
        trials=peer.trials,
        throughput=throughput,
        throughput_ops_s=throughput.point if throughput else 0.0,
    )
