"""Cost in words and in the fold: the headless run ends with its cost by role, and the
run's state keeps each iteration's cost by role (what the cost screen shows)."""

from __future__ import annotations

from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import (
    CostUpdate,
    Event,
    IterationFinished,
    IterationStarted,
    Role,
    RunFinished,
    RunStarted,
)


def _run(*costs: tuple[int, Role, int, float]) -> list[Event]:
    """A two-iteration run with ``(iteration, role, input tokens, dollars)`` spent."""
    events: list[Event] = [
        RunStarted(
            run_id="r",
            spec_name="tiny",
            spec_sha256="0",
            agent="anthropic",
            machine="local",
            iterations=2,
            workspace="/tmp/r",
            pid=1,
        )
    ]
    for n in (1, 2):
        events.append(IterationStarted(iteration=n, parent_iteration=n - 1, step=n, branch="main"))
        events += [
            CostUpdate(iteration=n, role=role, input_tokens=tokens, output_tokens=500, dollars=d)
            for it, role, tokens, d in costs
            if it == n
        ]
        events.append(
            IterationFinished(
                iteration=n,
                outcome="evaluated",
                summary=f"store {n}",
                verdict="pass",
                throughput_ops_s=1e6,
                commit="c" * 40,
                branch="main",
                parent_iteration=n - 1,
            )
        )
    events.append(
        RunFinished(
            status="finished",
            reason="budget used up (2 of 2 iterations)",
            completed=2,
            best_iteration=2,
            best_ops_s=1e6,
        )
    )
    return events


def test_the_run_ends_with_its_cost_by_role() -> None:
    events = _run(
        (1, "planner", 30_000, 0.10),
        (1, "coder", 120_000, 0.90),
        (2, "coder", 200_000, 1.25),
        (2, "planner", 500, 0.02),
        (2, "auditor", 40_000, 0.31),
    )
    narrator = Narrator()
    lines = [line for e in events if (line := narrator.line(e))]
    ended = lines[-1].splitlines()
    assert ended[0].startswith("run finished: budget used up (2 of 2 iterations)")
    # Pipeline order, roles that spent nothing (the critic) left out, then the total.
    assert ended[1] == (
        "cost by role: planner $0.12 (31,500 tok) · coder $2.15 (321,000 tok) · "
        "auditor $0.31 (40,500 tok); $2.58 in all"
    )


def test_a_run_that_spent_nothing_ends_on_one_line() -> None:
    narrator = Narrator()
    lines = [line for e in _run() if (line := narrator.line(e))]
    assert lines[-1] == (
        "run finished: budget used up (2 of 2 iterations); best: iteration 2 at 1,000,000 ops/s"
    )
    assert not any("cost" in line for line in lines)


def test_the_state_keeps_each_iterations_cost_by_role() -> None:
    state = RunState.from_events(
        _run((1, "coder", 100, 0.5), (1, "coder", 50, 0.25), (2, "critic", 10, 0.01))
    )
    assert set(state.cost_by_iteration_role) == {1, 2}
    assert list(state.cost_by_iteration_role[1]) == ["coder"]
    coder = state.cost_by_iteration_role[1]["coder"]
    assert (coder.input_tokens, coder.output_tokens, coder.dollars) == (150, 1000, 0.75)
    assert state.cost_by_iteration_role[2]["critic"].dollars == 0.01
    assert state.cost_by_iteration[1].dollars == state.cost["coder"].dollars == 0.75
