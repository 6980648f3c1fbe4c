"""Evaluating the run's `store/` for the loop (an iteration's evaluation, or the coder's
`build_and_test`): its events, its logs kept under `.jitskit/logs/`, and the evaluator's
own failures said as such."""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass

from jitskit_tui.engine.reporting import EvalEvents
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.harness.config import Size
from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.harness.peers import Peer
from jitskit_tui.harness.stopping import TrialSettings
from jitskit_tui.protocol.events import ErrorRaised, EvalPurpose, EvalStarted
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.sandbox.base import BenchMachine


@dataclass(frozen=True)
class Bench:
    """Where and how the loop evaluates a store."""

    machine: BenchMachine
    size: Size = "quick"
    seed: int | None = None
    """Seeds the evaluator's kill moment and canary (tests); ``None`` draws one."""
    allow_smaller_machine: bool = False
    """Evaluate on a machine smaller than the card, every figure marked, not refuse."""


async def evaluate_store(
    run: RunContext,
    bench: Bench,
    iteration: int,
    purpose: EvalPurpose,
    *,
    peers: tuple[Peer, ...] = (),
    trials: TrialSettings | None = None,
) -> EvalResult:
    """Builds, gates and benchmarks the workspace's `store/` (with ``peers`` measured beside
    it, paired; ``trials`` as the card says when ``None``), as events; keeps the logs."""
    run.emit(
        EvalStarted(
            iteration=iteration, purpose=purpose, size=bench.size, machine=bench.machine.label
        )
    )
    observer = EvalEvents(run.emit, run.set_state, purpose, iteration)
    request = EvalRequest(
        spec=run.spec,
        store_dir=run.ws.store,
        size=bench.size,
        run_id=run.ws.name,
        iteration=iteration,
        seed=bench.seed,
        allow_smaller_machine=bench.allow_smaller_machine,
        peers=peers,
        trials=trials,
    )
    result = await evaluate(request, bench.machine, observer)
    await asyncio.to_thread(_save_logs, run, iteration, purpose, result)
    return result


def evaluation_failed(run: RunContext, iteration: int, exc: Exception) -> str:
    """Logs an evaluator failure (a bug, not the store's) and says where the details are."""
    log = run.ws.logs / f"iteration-{iteration}" / "evaluator-error.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(traceback.format_exception(exc)))
    message = f"the evaluation itself failed: {exc!r} (details in {log})"
    run.emit(
        ErrorRaised(
            iteration=iteration,
            where=f"iteration {iteration}: evaluation",
            message=message,
            next_step="recorded as this iteration's outcome; the loop goes on",
        )
    )
    return message


def _save_logs(run: RunContext, iteration: int, purpose: EvalPurpose, result: EvalResult) -> None:
    folder = run.ws.logs / f"iteration-{iteration}"
    folder.mkdir(parents=True, exist_ok=True)
    for step, text in result.logs.items():
        (folder / f"{purpose}-{step}.log").write_text(text)
