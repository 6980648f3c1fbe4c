"""The transcript's lines about measurements: the baselines, each evaluation's figures
with their intervals (a bare figure and ratio in a log from before trials), the driver's
floor and a busy machine, the iteration's decision, the best moving or falling back, the
headline. Their words are :mod:`jitskit_tui.protocol.texts`'s, as on the command line."""

from __future__ import annotations

from typing import Literal

from jitskit_tui.protocol.events import (
    BaselineKnown,
    BenchResult,
    BestFellBack,
    BestMoved,
    Event,
    HeadlineMeasured,
    IterationFinished,
)
from jitskit_tui.protocol.texts import (
    TIMES,
    decision_text,
    fallback_text,
    headline_text,
    outcome_text,
    ratio_text,
    throughput_text,
)
from jitskit_tui.tui.run.formatting import DASH, compact, ops_text

Severity = Literal["info", "warning"]
Note = tuple[str, Severity]


def measurement_notes(event: Event) -> list[Note]:
    """The lines ``event`` adds to the transcript (none for other events)."""
    n = event.iteration
    match event:
        case BenchResult() if event.purpose == "baseline":
            failed = f" (failed: {', '.join(event.failed_gates)})" if event.failed_gates else ""
            figure = ops_text(event.throughput_ops_s)
            return [
                (f"baseline {event.baseline or '?'}: {event.verdict}{failed}, {figure}", "info")
            ]
        case BaselineKnown():
            if event.name is None or event.ops_s is None:
                return [(event.detail or "the ratio is unknown", "warning")]
            return [
                (
                    f"best comparable baseline: {event.name} at {ops_text(event.ops_s)} on "
                    f"{event.machine} (the ratio is against it)",
                    "info",
                )
            ]
        case BenchResult() if event.purpose in ("iteration", "headline"):
            return _bench_result(event)
        case IterationFinished() if event.claimed_ops_s is not None:
            # The naive experiment: the agent's belief beside what the gates found.
            found = (
                "every gate passed"
                if event.verdict == "pass"
                else f"failed {', '.join(event.failed_gates) or 'a gate'}"
            )
            return [
                (
                    f"the agent believed {ops_text(event.claimed_ops_s)}; the gates found: "
                    f"{found}, {ops_text(event.throughput_ops_s)}",
                    "info" if event.verdict == "pass" else "warning",
                )
            ]
        case IterationFinished() if event.decision:
            decided = decision_text(
                event.decision, event.vs_best, event.incumbent_iteration, sign=TIMES
            )
            return [(f"decision: {outcome_text(event.vs_baseline, decided, TIMES)}", "info")]
        case BestMoved():
            why = f": {event.reason}" if event.reason else ""
            figure = ops_text(event.throughput_ops_s)
            return [(f"★ new best: iteration {n} at {figure}{why}", "info")]
        case BestFellBack():
            said = fallback_text(
                event.from_iteration, event.to_iteration, event.reason, event.skipped
            )
            return [(f"⚠ {said}", "warning")]
        case HeadlineMeasured():
            how = f"#{event.best_iteration}, {event.size} size, held-out seed {event.seed}"
            return [(f"headline: {headline_text(event, TIMES)} ({how})", "info")]
        case _:
            return []


def _bench_result(event: BenchResult) -> list[Note]:
    failed = f" (failed: {', '.join(event.failed_gates)})" if event.failed_gates else ""
    smaller = f" ({event.smaller_machine})" if event.smaller_machine else ""
    if event.throughput is not None:
        figure = throughput_text(event.throughput, compact)
    else:
        figure = f"{ops_text(event.throughput_ops_s)}, ratio {ratio_text(event.ratio, DASH)}"
    floor = f" · driver floor {event.floor_ns_per_op:.1f} ns/op" if event.floor_ns_per_op else ""
    what = "headline " if event.purpose == "headline" else ""
    severity: Severity = "info" if event.verdict == "pass" else "warning"
    notes = [(f"{what}verdict {event.verdict}{failed}: {figure}{floor}{smaller}", severity)]
    if event.conditions_warning:
        notes.append((f"⚠ {event.conditions_warning}", "warning"))
    return notes
