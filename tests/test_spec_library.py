"""The shipped spec library spans what the published work varied, and every card is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from jitskit_tui.spec import SpecCard, load_spec
from jitskit_tui.spec.presets import PRESETS

from support import SPECS

CARDS = sorted(SPECS.glob("*.yaml"))


def _load_all() -> dict[str, SpecCard]:
    return {path.name: load_spec(path) for path in CARDS}


@pytest.mark.parametrize("path", CARDS, ids=[p.name for p in CARDS])
def test_every_shipped_card_validates(path: Path) -> None:
    spec = load_spec(path)
    assert spec.name == path.stem, "a card's name should match its file name"


def test_library_has_at_least_twelve_cards() -> None:
    assert len(CARDS) >= 12


def test_library_covers_every_ycsb_preset() -> None:
    presets = {spec.workload.preset for spec in _load_all().values()}
    assert set(PRESETS) <= presets


def test_library_covers_every_durability_level() -> None:
    levels = {spec.requirement.durability for spec in _load_all().values()}
    assert levels == {"none", "process_crash", "power_loss"}


def test_library_has_several_environment_sizes() -> None:
    sizes = {spec.environment.cpus for spec in _load_all().values()}
    assert len(sizes) >= 2 and max(sizes) >= 8


def test_library_has_a_larger_than_memory_card() -> None:
    def data_bytes(spec: SpecCard) -> int:
        return spec.workload.record_count * spec.workload.value_size

    assert any(data_bytes(s) > s.environment.store_memory_budget for s in _load_all().values())


def test_library_has_custom_mixes() -> None:
    assert any(spec.workload.mix is not None for spec in _load_all().values())


def test_demo_card_is_in_memory_ycsb_a_zipfian_on_two_cores() -> None:
    demo = load_spec(SPECS / "demo.yaml")
    dist = demo.workload.effective_distribution()
    assert demo.workload.preset == "A"
    assert demo.requirement.durability == "none"
    assert dist.kind == "zipfian" and getattr(dist, "constant", None) == 0.99
    assert demo.environment.cpus == 2
    # One quick iteration must fit well inside a minute: a short in-loop benchmark.
    assert demo.loop.quick.duration is not None and demo.loop.quick.duration <= 15
