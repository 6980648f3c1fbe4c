"""The run's numbers in the dashboard's words: an iteration's ratios with their intervals
and its decision (the table), the headline and the best (the summary), the selected
iteration's figures, and the notices that must not be missed (the best fell back, the
machine was busy).

Pure functions of the folded run (:class:`RunView`); the sentences come from
:mod:`jitskit_tui.protocol.texts`, so the app says what the command line says. A log
from before trials has no intervals: its figures show bare, its ratios labelled unpaired.
"""

from __future__ import annotations

from jitskit_tui.engine.state import IterationView, ShownRatio
from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.protocol.texts import (
    DECISION_CELL,
    TIMES,
    decision_text,
    fallback_note,
    fallback_text,
    headline_text,
    ratio_number,
    shown_ratio_text,
    side_name,
    throughput_text,
)
from jitskit_tui.tui.run.formatting import DASH, change_text, compact, ops_text
from jitskit_tui.tui.run.model import RunView

BUSY = "⚠ busy machine"
"""Marks a figure measured while the machine was busy (the tooltip says how busy)."""
RUNNING = {
    "planning": "plan",
    "coding": "code",
    "building": "build",
    "gating": "gates",
    "benchmarking": "bench",
    "queued": "queued",
    "critiquing": "critic",
    "auditing": "audit",
    "committing": "commit",
    "paused": "paused",
}


def decided(view: RunView) -> bool:
    """Whether the run's iterations carry decisions (logs from before them do not)."""
    return any(it.decision for it in view.state.iterations.values())


# -- the iterations table ----------------------------------------------------------------


def decision_cell(it: IterationView, loop_state: str) -> str:
    """``new best``, ``first``, ``≈ noise``, ``slower``, ``✗ build`` (failed); ``pass``
    in a log from before decisions; ``▸ bench`` while it runs."""
    if it.state == "running":
        return f"▸ {RUNNING.get(loop_state, loop_state)}"
    if it.state == "abandoned":
        return "gone"
    if it.outcome and it.outcome != "evaluated":
        return "error"
    if it.verdict != "pass" or it.decision == "failed":
        gates = it.failed_gates
        more = f"+{len(gates) - 1}" if len(gates) > 1 else ""
        return f"✗ {gates[0]}{more}" if gates else DECISION_CELL["failed"]
    return DECISION_CELL.get(it.decision, "pass")


def ratio_cell(shown: ShownRatio) -> str:
    """The ratio to the baseline: ``2.21x [2.05-2.38]`` (paired), ``≈ 1.01x [0.97-1.05]``
    (its interval contains 1), ``1.84x unpaired`` against a cached figure (``~1.84x
    unpaired`` restated against the run's latest one)."""
    if shown.comparison is not None:
        return shown_ratio_text(shown.comparison, sign=TIMES)
    if shown.value is None:
        return DASH
    return f"{'~' if shown.restated else ''}{ratio_number(shown.value)}{TIMES} unpaired"


def change_cell(view: RunView, it: IterationView, *, new: bool) -> str:
    """Against the best of its time, paired: ``1.31x [1.20-1.43]``, or ``≈ 0.83x
    [0.57-1.41]`` within noise; in a log from before decisions, the bare change from the
    parent (``+12.3%``). ``new``: the run is :func:`decided`."""
    if not new:
        return change_text(it.throughput_ops_s, view.previous_throughput(it))
    if it.vs_best is None:
        return DASH
    return shown_ratio_text(it.vs_best, within_noise=it.decision == "within-noise", sign=TIMES)


def ratio_heading(view: RunView) -> str:
    """The ratio column's heading: ``vs tbb-chm`` when every ratio is against it."""
    names = {view.state.ratio_now(it).against for it in view.state.iterations.values()}
    names.discard(None)
    return f"vs {names.pop()}" if len(names) == 1 else "ratio"


# -- the summary -------------------------------------------------------------------------


def headline_line(view: RunView, how_to_measure: str) -> tuple[str, bool]:
    """The run's headline and its best, and whether the headline is stale (the best moved
    since it was measured): ``headline 2.21x [2.05-2.38] vs tbb-chm (#2, full size,
    held-out seed 123) · ★ best #2 1.43M ops/s``."""
    state = view.state
    best = state.best_iteration
    best_words = f"★ best #{best} {ops_text(state.best_ops_s)}" if best is not None else "no best"
    headline = state.headline
    if headline is None:
        return f"no headline yet ({how_to_measure}) · {best_words}", False
    said = headline_text(headline, TIMES)
    if headline.best_iteration != best:
        now = f"#{best}" if best is not None else "none"
        return (
            f"headline {said} is of #{headline.best_iteration}, and the best is {now} now "
            f"({how_to_measure})",
            True,
        )
    busy = f" {BUSY}" if headline.conditions_warning else ""
    how = f"#{headline.best_iteration}, {headline.size} size, held-out seed {headline.seed}"
    return f"headline {said}{busy} ({how}) · {best_words}", False


def iteration_line(view: RunView, n: int | None) -> str:
    """The selected iteration's figures and decision: ``#4 1.19M ops/s [1.05M-1.31M]
    over 5 trials · driver floor 13.5 ns/op · vs best 0.83x [0.57-1.41] ≈ within noise,
    best stays #2``."""
    it = view.state.iterations.get(n) if n is not None else None
    if it is None:
        return ""
    bench = view.bench.get(it.iteration)
    head = f"#{it.iteration}"
    busy = f" {BUSY}" if bench is not None and bench.conditions_warning else ""
    if it.state == "running":
        live = view.live
        trial = trial_words(view) if live is not None and live.iteration == n else ""
        return f"{head}{busy} running: {view.state.loop_state}" + (f" ({trial})" if trial else "")
    if it.state == "abandoned":
        return f"{head} abandoned: redone under the same number"
    if it.outcome and it.outcome != "evaluated":
        return f"{head} {it.outcome}: {it.summary}"
    # The busy mark follows the figure it qualifies: "#2 believed 9M ops/s; found 4M
    # ops/s [3.8M-4.2M] ⚠ busy machine".
    figure = _throughput(it, bench.throughput if bench is not None else None) + busy
    if bench is not None and bench.floor_ns_per_op:
        figure += f" · driver floor {bench.floor_ns_per_op:.1f} ns/op"
    if it.claimed_ops_s is not None:
        # The naive experiment: what the agent's own benchmark told it, then what the
        # gates found.
        head += f" believed {ops_text(it.claimed_ops_s)}; found"
    if it.verdict != "pass":
        failed = ", ".join(it.failed_gates) or "a gate"
        return f"{head} {figure} · failed {failed}: does not count"
    if it.decision:
        said = decision_text(it.decision, it.vs_best, it.incumbent_iteration, sign=TIMES)
        best_now = view.best_after.get(it.iteration, view.state.best_iteration)
        after = fallback_note(it.iteration, it.decision, it.incumbent_iteration, best_now)
        return f"{head} {figure} · {said}{after}"
    change = change_text(it.throughput_ops_s, view.previous_throughput(it))
    return f"{head} {figure}" + (f" · {change} vs #{it.parent_iteration}" if change != DASH else "")


def _throughput(it: IterationView, interval: Interval | None) -> str:
    if interval is not None:
        return throughput_text(interval, compact)
    if not it.throughput_ops_s:
        return "no throughput"
    return f"{ops_text(it.throughput_ops_s)} (one run, no interval)"


def notices(view: RunView) -> list[str]:
    """What must not be missed, on a line of its own: the best fell back (while the best
    is still the one it fell back to)."""
    state = view.state
    if not state.fallbacks or state.best_iteration != state.fallbacks[-1].to_iteration:
        return []
    back = state.fallbacks[-1]
    return [fallback_text(back.from_iteration, back.to_iteration, back.reason, back.skipped)]


def busy_words(view: RunView, n: int | None) -> list[str]:
    """The machine's conditions when it was busy, in full: during the selected iteration's
    trials, during the headline's (the summary's tooltip)."""
    bench = view.bench.get(n) if n is not None else None
    said = [f"#{n}: {bench.conditions_warning}"] if bench and bench.conditions_warning else []
    headline = view.state.headline
    if headline is not None and headline.conditions_warning:
        said.append(f"headline: {headline.conditions_warning}")
    return said


def incumbent_of(view: RunView, iteration: int | None) -> int | None:
    """The best an iteration's candidate is (or was) measured against: the one it names
    once it finished, the run's best while it runs."""
    it = view.state.iterations.get(iteration) if iteration is not None else None
    if it is not None and it.state == "done":
        return it.incumbent_iteration
    return view.state.best_iteration


def trial_words(view: RunView) -> str:
    """``round 3 · best #2 · warm-up``: the trial ticking now (``""`` outside trials)."""
    live = view.live
    trace = live.current if live is not None and live.running else None
    if live is None or trace is None or trace.trial is None:
        return ""
    side = side_label(trace.side, incumbent_of(view, live.iteration))
    return f"round {trace.trial + 1} · {side}" + (" · warm-up" if trace.warming else "")


def side_label(side: str, best: int | None) -> str:
    """A trial's side as the live chart names it: ``candidate``, ``best #2``, ``tbb-chm``."""
    if side == "incumbent":
        return f"best #{best}" if best is not None else "the best"
    return side_name(side)
