"""An evaluation's allocation is bounded by the evaluation's budget (given to
`BenchMachine.open`) plus slack for the steps around it; without a budget, the default."""

from __future__ import annotations

import pytest
from slurmkit import SMALL, RecordingMachine

from jitskit_tui.sandbox.slurm import ALLOCATION_SLACK_S, DEFAULT_TIME_LIMIT_S
from jitskit_tui.sandbox.slurm_cli import job_info

pytestmark = [pytest.mark.slurm]


def minutes(limit: str) -> float:
    """Slurm's ``[D-]HH:MM:SS`` (or ``MM:SS``) in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, mins, secs = parts
    return (int(days or 0) * 24 + hours) * 60 + mins + secs / 60


@pytest.mark.parametrize(
    ("budget_s", "expected_s"),
    [(300.0, 300.0 + ALLOCATION_SLACK_S), (None, DEFAULT_TIME_LIMIT_S)],
    ids=["budget", "default"],
)
async def test_allocation_time_limit_follows_the_evaluations_budget(
    machine: RecordingMachine, run_id: str, budget_s: float | None, expected_s: float
) -> None:
    sandbox = await machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False, time_limit_s=budget_s
    )
    async with sandbox:
        info = await job_info(machine.label, sandbox.job_id)
    assert info is not None
    assert minutes(info.time_limit) == pytest.approx(expected_s / 60, abs=1)
