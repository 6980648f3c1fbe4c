"""Machine addresses: each names one kind of benchmark machine, by its URL scheme or its
form; a card may write only the documented forms, and the words that list them come from
the same table as the routing."""

from __future__ import annotations

import pytest

from jitskit_tui.machine_kinds import address_forms, card_allows, kind_for
from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.sandbox.machines import machine_for


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("local", "local"),
        ("tcp://bench:2375", "docker-tcp"),
        ("https://bench:2376", "docker-tcp"),
        ("ssh://me@bench", "docker-ssh"),
        ("unix:///var/run/docker.sock", "docker-unix"),
        ("bench-context", "docker-context"),
        ("slurm://bench", "slurm"),
        ("slurm://", "slurm"),  # by its scheme: the Slurm machine says how to write one
    ],
)
def test_an_address_names_its_kind(address: str, kind: str) -> None:
    found = kind_for(address)
    assert found is not None and found.name == kind


def test_a_card_may_write_only_the_documented_forms() -> None:
    assert card_allows("tcp://bench:2375") and card_allows("local")
    assert not card_allows("https://bench:2376")  # the docker SDK takes it; a card does not
    assert not card_allows("gopher://bench") and kind_for("gopher://bench") is None
    assert card_allows("slurm://bench") and not card_allows("slurm://")
    assert address_forms() == (
        "'local', tcp://HOST:PORT, ssh://USER@HOST, unix:///PATH, "
        "slurm://PARTITION (e.g. slurm://bench) or a docker context name"
    )


def test_opening_an_address_no_kind_takes_says_how_to_write_one() -> None:
    assert isinstance(machine_for("local"), LocalMachine)
    with pytest.raises(MachineError) as caught:
        machine_for("two words")
    assert caught.value.message == "not a machine address"
    assert caught.value.hint == f"use {address_forms()}"
