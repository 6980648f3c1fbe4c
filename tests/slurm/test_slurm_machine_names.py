"""`slurm://PARTITION` is a machine a card and --machine may name; a malformed one is
refused where it is written, saying the form to use."""

from __future__ import annotations

from pathlib import Path

import pytest

from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.machines import machine_for
from jitskit_tui.sandbox.slurm import SlurmMachine
from jitskit_tui.spec import SpecError, load_spec_text

DEMO = (Path(__file__).resolve().parents[2] / "specs" / "demo.yaml").read_text()
MACHINE_LINE = DEMO.splitlines().index("  machine: local") + 1


def card(machine: str) -> str:
    return DEMO.replace("  machine: local", f"  machine: {machine}")


def test_card_names_a_slurm_partition() -> None:
    spec = load_spec_text(card("slurm://bench"))
    assert spec.environment.machine == "slurm://bench"


@pytest.mark.parametrize(
    "machine", ["slurm://", "slurm:bench", "slurm://bench/gpu", "'slurm://a b'"]
)
def test_malformed_slurm_machine_in_a_card_says_the_form_to_use(machine: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec_text(card(machine), file="card.yaml")
    (issue,) = caught.value.issues
    assert issue.line == MACHINE_LINE
    assert "slurm://PARTITION" in issue.message and "slurm://bench" in issue.message


def test_machine_flag_opens_the_partition_without_contacting_the_cluster() -> None:
    machine = machine_for("slurm://bench")
    assert isinstance(machine, SlurmMachine)
    assert (machine.label, machine.partition) == ("slurm://bench", "bench")


def test_malformed_machine_flag_is_a_machine_error_with_an_example() -> None:
    with pytest.raises(MachineError) as caught:
        machine_for("slurm://")
    assert "slurm://PARTITION" in caught.value.message
    assert "slurm://bench" in caught.value.hint
