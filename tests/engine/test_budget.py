"""The run's one budget authority: it counts what earlier stints spent and every usage
reported since, names the cap that is reached in the engine's words, and stops the loop
once the iterations are used up."""

from __future__ import annotations

from jitskit_tui.engine.budget import BudgetAuthority
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import CostUpdate, RunFinished, RunResumed, RunStarted
from jitskit_tui.spec.model import Budget


def started(ts: float) -> RunStarted:
    return RunStarted(
        ts=ts,
        run_id="r",
        spec_name="s",
        spec_sha256="x",
        agent="anthropic",
        machine="local",
        iterations=5,
        workspace="/w",
        pid=1,
    )


def spent(tokens: int, dollars: float, ts: float) -> CostUpdate:
    return CostUpdate(ts=ts, role="coder", iteration=1, input_tokens=tokens, dollars=dollars)


def test_it_counts_the_runs_past_and_names_the_dollar_cap() -> None:
    state = RunState.from_events(
        [
            started(100.0),
            spent(10, 0.6, 110.0),
            RunFinished(ts=120.0, status="stopped", reason="x", completed=0),
        ]
    )
    budget = BudgetAuthority(Budget(dollars=1.0), state, iterations=5)
    assert budget.exhausted() is None
    state.apply(
        RunResumed(ts=200.0, agent="anthropic", machine="local", iterations=5, completed=0, pid=2)
    )
    state.apply(spent(30, 0.5, 210.0))  # this stint's usage, as a sink logs it
    assert budget.exhausted() == "dollar budget used up ($1.10 of $1.00)"
    assert budget.reason_to_stop() == budget.exhausted()


def test_the_token_cap_counts_every_kind_of_token() -> None:
    state = RunState.from_events([started(0.0)])
    budget = BudgetAuthority(Budget(tokens=100), state, iterations=5)
    state.apply(
        CostUpdate(
            ts=1.0,
            role="planner",
            input_tokens=40,
            output_tokens=30,
            cache_read_tokens=20,
            cache_write_tokens=10,
        )
    )
    assert budget.exhausted() == "token budget used up (100 of 100)"


def test_the_live_stint_counts_up_to_now_for_the_wall_time_cap() -> None:
    state = RunState.from_events(
        [
            started(0.0),
            RunFinished(ts=1800.0, status="stopped", reason="x", completed=0),
            RunResumed(ts=5000.0, agent="a", machine="local", iterations=5, completed=0, pid=2),
        ]
    )
    now = [5000.0 + 1000.0]
    budget = BudgetAuthority(Budget(wall_time=3600), state, iterations=5, clock=lambda: now[0])
    assert budget.exhausted() is None  # 30 min before, 17 min now
    now[0] = 5000.0 + 1800.0
    assert budget.exhausted() == "wall-time budget used up (60 min)"


def test_the_iteration_budget_comes_first() -> None:
    budget = BudgetAuthority(Budget(dollars=1.0), RunState(), iterations=0)
    assert budget.reason_to_stop() == "budget used up (0 of 0 iterations)"
