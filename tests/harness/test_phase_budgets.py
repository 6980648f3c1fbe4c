"""Every phase of an evaluation has a budget from one formula, and the whole a bound that
fits the quick size's 10 minutes on every card in specs/."""

from __future__ import annotations

from pathlib import Path

import pytest
from evalkit import small_spec

from jitskit_tui.harness.budgets import (
    CAP_S,
    LOAD_ALLOWANCE_S,
    BudgetInputs,
    evaluation_budget,
)
from jitskit_tui.paths import packaged
from jitskit_tui.spec import SpecCard, SpecError, load_spec, load_spec_text

CARDS = sorted(Path(packaged("specs", "demo.yaml")).parent.glob("*.yaml"))


def test_a_phase_budget_is_its_allowance_plus_its_work_at_the_floor() -> None:
    budget = evaluation_budget(small_spec(), "quick", BudgetInputs())
    load = budget.of("load")
    assert load is not None
    assert load.work == 20_000 and load.unit == "records" and load.rate == 1000
    assert load.seconds == pytest.approx(LOAD_ALLOWANCE_S + 20_000 / 1000)
    assert load.formula() == "20 s + 20k records at the 1k/s floor"
    assert budget.overall_s == pytest.approx(sum(p.seconds for p in budget.phases))


def test_a_faster_floor_on_the_card_shrinks_the_work_terms() -> None:
    spec = small_spec().model_copy(
        update={"loop": small_spec().loop.model_copy(update={"floor_rate": 10_000.0})}
    )
    slow = evaluation_budget(small_spec(), "quick", BudgetInputs())
    fast = evaluation_budget(spec, "quick", BudgetInputs())
    assert fast.seconds("load") < slow.seconds("load")
    assert fast.of("load").formula().endswith("at the 10k/s floor")  # type: ignore[union-attr]


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_every_card_is_bounded_by_ten_minutes_at_the_quick_size(card: Path) -> None:
    spec = load_spec(card)
    budget = evaluation_budget(
        spec, "quick", BudgetInputs(durability=spec.requirement.durability != "none")
    )
    assert budget.overall_s <= CAP_S["quick"] + 1
    if budget.rate > spec.loop.floor_rate:
        assert "the floor is raised to" in budget.note


def test_a_card_too_big_for_the_cap_says_its_floor_was_raised() -> None:
    spec = load_spec(packaged("specs", "ycsb-a-8core.yaml"))
    budget = evaluation_budget(spec, "quick", BudgetInputs())
    assert budget.rate > 1000
    assert budget.note.startswith("the formula gives ")
    assert "h at the card's 1k/s floor" in budget.note
    assert "(floor" in budget.line() and "raised from 1k/s" in budget.line()


def test_compiling_the_harness_the_first_time_is_in_the_build_budget() -> None:
    cached = evaluation_budget(small_spec(), "quick", BudgetInputs(source_bytes=20_480))
    cold = evaluation_budget(
        small_spec(), "quick", BudgetInputs(source_bytes=20_480, harness_cached=False)
    )
    assert cold.seconds("build") > cached.seconds("build") >= 20
    assert "20 KiB of sources at 1 KiB/s" in cached.of("build").formula()  # type: ignore[union-attr]


def test_the_durability_gate_has_a_budget_only_when_the_card_needs_it() -> None:
    assert evaluation_budget(small_spec(), "quick", BudgetInputs()).of("durability") is None
    durable = small_spec("process_crash")
    budget = evaluation_budget(durable, "quick", BudgetInputs(durability=True))
    assert budget.seconds("durability") > 100


@pytest.mark.parametrize("written", ["1000", "1k", "1k/s", "1k ops/s", "1000 records/s"])
def test_floor_rate_is_a_count_per_second(written: str) -> None:
    card = _card(f"  floor_rate: {written}\n")
    assert card.loop.floor_rate == 1000.0


@pytest.mark.parametrize("written", ["0", "fast", "-5k", "1k/min"])
def test_a_floor_rate_that_is_not_a_positive_rate_is_refused(written: str) -> None:
    with pytest.raises(SpecError) as caught:
        _card(f"  floor_rate: {written}\n")
    assert "floor_rate" in str(caught.value.issues[0])


def _card(loop_line: str) -> SpecCard:
    text = (
        "name: t\nrequirement: {operations: [read, upsert], durability: none}\n"
        "environment: {cpus: 2, memory_limit: 1GiB, store_memory_budget: 256MiB}\n"
        "workload: {preset: A, record_count: 10k, operation_count: 1M, value_size: 64, "
        "threads: 2}\nloop:\n" + loop_line
    )
    return load_spec_text(text, file="card.yaml")
