"""The run's headline: its best store measured at the `full` size on a held-out trace,
paired against the best comparable baseline and every baseline whose cached figure is
within 2x of the best's (the others listed unpaired with their cached figure).

Measured when a run ends finished or stopped, and on demand (the `confirm` control,
`jitskit confirm RUN`). The result is written to `results/headline.json`, committed on
the `best` branch with a `Jitskit-Headline` trailer, and logged as `headline_measured`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.baseline import BaselineSource
from jitskit_tui.engine.baseline_step import measure_baseline
from jitskit_tui.engine.decisions import baseline_comparison
from jitskit_tui.engine.pairing import baseline_peers, best_store
from jitskit_tui.engine.reporting import EvalEvents, bench_result
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.harness.baseline_runs import BASELINE_SIDE
from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.protocol.events import EvalStarted, HeadlineMeasured, LoopState
from jitskit_tui.protocol.headline import WITHIN_FACTOR, Headline
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.texts import (
    TIMES,
    failed_gate_names,
    headline_text,
    headline_trailer,
    machine_text,
)
from jitskit_tui.sandbox.base import BenchMachine

SEED_RANGE = (1, 2**31 - 1)


class NoHeadline(Exception):
    """Why a run has no headline (no passing iteration, no baselines), in words."""


def pick_pairs(
    figures: dict[str, float], best_comparable: str | None, best_ops_s: float
) -> tuple[list[str], dict[str, float]]:
    """The baselines to pair with (the best comparable one first, then every one whose
    cached figure is within 2x of the best's) and the others with their cached figures."""
    paired = [best_comparable] if best_comparable else []
    for name, ops_s in sorted(figures.items(), key=lambda kv: -kv[1]):
        near = best_ops_s > 0 and 1 / WITHIN_FACTOR <= ops_s / best_ops_s <= WITHIN_FACTOR
        if name not in paired and near:
            paired.append(name)
    return paired, {name: ops for name, ops in figures.items() if name not in paired}


def held_out_seed(card_seed: int) -> int:
    """A trace seed drawn at random, never the card's (whose trace every iteration saw)."""
    draw = random.SystemRandom()
    while True:
        seed = draw.randint(*SEED_RANGE)
        if seed != card_seed:
            return seed


async def measure_headline(
    run: RunContext,
    machine: BenchMachine,
    *,
    baselines: BaselineSource | None,
    live: bool = True,
    allow_smaller_machine: bool = False,
) -> HeadlineMeasured:
    """Measures, writes, commits and logs the headline of ``run``'s best; raises
    :class:`NoHeadline` saying why there is none. ``baselines`` measures them first when
    the run has none yet (``None``: the headline then has no ratio); ``live``: the run's
    loop state follows the measurement (a run that is not live keeps its own). A run
    allowed onto a smaller machine than its card measures its headline there too, marked;
    ``allow_smaller_machine`` allows it for this measurement."""
    state = run.state
    best = state.best_iteration
    view = state.iterations.get(best) if best is not None else None
    if view is None or not view.commit:
        raise NoHeadline("no iteration passed every gate: there is no store to report")
    if not state.baseline_figures and baselines is not None:
        await measure_baseline(run, baselines, machine, force=True)
    figures = dict(state.baseline_figures)
    paired, unpaired = pick_pairs(figures, state.baseline_name, view.throughput_ops_s)
    peers = tuple(baseline_peers(paired))
    measured = {p.name.removeprefix(BASELINE_SIDE) for p in peers}
    unpaired.update({n: figures[n] for n in paired if n not in measured and n in figures})
    seed = held_out_seed(run.spec.workload.seed)
    set_state: Callable[[LoopState], None] = run.set_state if live else (lambda _: None)
    before = state.loop_state
    run.emit(
        EvalStarted(
            purpose="headline", name=f"best (iteration {best})", size="full", machine=machine.label
        )
    )
    try:
        async with best_store(run.ws, view.commit) as store:
            request = EvalRequest(
                spec=run.spec,
                store_dir=store,
                size="full",
                run_id=run.ws.name,
                iteration=best,
                seed_override=seed,
                peers=peers,
                allow_smaller_machine=allow_smaller_machine or state.allow_smaller_machine,
            )
            observer = EvalEvents(run.emit, set_state, "headline", None)
            result = await evaluate(request, machine, observer)
    finally:
        if live:
            run.set_state(before)
    headline = _headline(result, view.iteration, view.commit, seed, unpaired)
    found = baseline_comparison(result, None)
    run.emit(
        bench_result(
            result,
            "headline",
            baseline=found[0].other.removeprefix(BASELINE_SIDE) if found else None,
            ratio=found[0].ratio.point if found else None,
            baseline_ops_s=found[1] if found else None,
        )
    )
    sha = await asyncio.to_thread(_commit, run, headline)
    event = run.emit(
        HeadlineMeasured(**headline.model_dump(), commit=sha, text=headline_text(headline, TIMES))
    )
    assert isinstance(event, HeadlineMeasured)
    return event


def _headline(
    result: EvalResult, best: int, sha: str, seed: int, unpaired: dict[str, float]
) -> Headline:
    found = baseline_comparison(result, None)
    conditions = result.conditions
    note = "" if found else "no comparable baseline was measured beside it"
    return Headline(
        best_iteration=best,
        best_sha=sha,
        size="full",
        seed=seed,
        verdict=result.verdict,
        failed_gates=failed_gate_names(result),
        throughput=result.throughput,
        trials=len(result.trials),
        against=found[0].other if found else None,
        comparisons=result.comparisons,
        peers={
            side: peer.throughput
            for side, peer in result.peers.items()
            if peer.throughput is not None
            and peer.verdict == "pass"
            and side.startswith(BASELINE_SIDE)
        },
        unpaired=unpaired,
        conditions_warning=conditions.warning if conditions is not None else "",
        smaller_machine=str(getattr(result, "smaller_machine", "") or ""),
        machine=machine_text(result),
        note=note,
    )


def _commit(run: RunContext, headline: Headline) -> str:
    """`results/headline.json` written and committed on top of the best's commit."""
    path = run.ws.root / gitrepo.HEADLINE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(headline.model_dump_json(indent=2) + "\n")
    subject = f"headline: iteration {headline.best_iteration} at the {headline.size} size"
    message = f"{subject}\n\nJitskit-Headline: {headline_trailer(headline)}\n"
    return gitrepo.commit_headline(run.ws, headline.best_sha, message)
