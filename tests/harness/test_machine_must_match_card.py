"""A machine with fewer CPUs, less memory or no disk than the card asks for is refused
before anything is built, naming what the card needs and what the machine has; with
--allow-smaller-machine it runs, and every figure says it was measured on a smaller
machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jitskit_tui.cli.main import cli
from jitskit_tui.engine.gitrepo import Trailers
from jitskit_tui.harness.machine_fit import check_fit, shortfalls
from jitskit_tui.paths import packaged
from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.sandbox.base import MachineTooSmall
from jitskit_tui.spec import load_spec, load_spec_text

TWO_CPUS = MachineFacts(
    cpu_model="Xeon",
    cpu_count=2,
    memory_bytes=24 << 30,
    kernel="Linux 6.1 x86_64",
    compiler="gcc 12.2.0",
    host="local",
    cpu_ids=[0, 1],
    data_medium="disk",
    data_free_bytes=75 << 30,
)
REFERENCE = packaged("harness", "stores", "reference")
TINY = Path(__file__).parents[1] / "tui" / "tiny.yaml"


def test_the_8_core_card_is_refused_on_2_cpus_naming_the_cpus() -> None:
    spec = load_spec(packaged("specs", "ycsb-a-8core.yaml"))
    with pytest.raises(MachineTooSmall) as refused:
        check_fit(spec, TWO_CPUS, allow_smaller=False)
    assert refused.value.machine == "local"
    assert refused.value.message == (
        "this machine is smaller than the card ycsb-a-8core: it needs 8 CPUs, "
        "the machine has 2 CPUs (0-1)"
    )
    assert "--allow-smaller-machine" in refused.value.hint


def test_the_ledger_card_needs_its_cpuset() -> None:
    spec = load_spec(packaged("specs", "ledger-power-loss.yaml"))
    with pytest.raises(MachineTooSmall) as refused:
        check_fit(spec, TWO_CPUS, allow_smaller=False)
    assert "it needs 4 CPUs (cpuset 0-3), the machine has 2 CPUs (0-1)" in refused.value.message


def test_less_memory_and_a_data_volume_in_memory_are_shortfalls_too() -> None:
    spec = load_spec(packaged("specs", "ycsb-a-power-loss.yaml"))
    small = TWO_CPUS.model_copy(update={"memory_bytes": 512 << 20, "data_medium": "tmpfs"})
    found = [s.needs for s in shortfalls(spec, small)]
    assert found == [
        "1 GiB of memory (environment.memory_limit)",
        "a disk under its data directory (data_dir.medium: disk)",
    ]
    full_disk = TWO_CPUS.model_copy(update={"data_free_bytes": 1 << 30})
    assert [s.has for s in shortfalls(spec, full_disk)] == ["1 GiB free"]


def test_a_machine_that_fits_has_no_mark() -> None:
    spec = load_spec(packaged("specs", "demo.yaml"))
    assert check_fit(spec, TWO_CPUS, allow_smaller=False) == ("", [])


def test_allowed_it_runs_marked_and_the_trailer_says_so() -> None:
    spec = load_spec(packaged("specs", "ledger-power-loss.yaml"))
    sentence, _ = check_fit(spec, TWO_CPUS, allow_smaller=True)
    assert sentence == "measured on a smaller machine than the card: card 4 CPUs, machine 2"
    trailers = Trailers(
        iteration=3, verdict="pass", throughput_ops_s=1.0, ratio=None, smaller_machine=sentence
    ).render()
    assert "Jitskit-Smaller-Machine: yes (card 4 CPUs, machine 2)\n" in trailers


def test_unknown_facts_are_not_a_refusal_but_a_warning() -> None:
    spec = load_spec(packaged("specs", "ycsb-a-8core.yaml"))
    sentence, warnings = check_fit(spec, MachineFacts(host="far"), allow_smaller=False)
    assert sentence == ""
    assert warnings == ["far did not say its CPUs or its memory; the card's were not checked"]


def _too_big_card(tmp_path: Path) -> Path:
    """The tiny card asking for one CPU more than this machine lets us use."""
    cpus = len(os.sched_getaffinity(0)) + 1
    card = tmp_path / "big.yaml"
    card.write_text(TINY.read_text().replace("cpus: 2", f"cpus: {cpus}"))
    load_spec_text(card.read_text(), file=str(card))
    return card


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_jitskit_bench_refuses_before_building_with_exit_3(tmp_path: Path) -> None:
    card = _too_big_card(tmp_path)
    result = CliRunner().invoke(cli, ["bench", str(card), "--store", str(REFERENCE)])
    assert result.exit_code == 3, result.output
    needed = len(os.sched_getaffinity(0)) + 1
    assert f"it needs {needed} CPUs, the machine has {needed - 1} CPU" in result.output
    assert "--allow-smaller-machine" in result.output
    assert "build" not in result.output


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_jitskit_compare_refuses_too_and_offers_the_flag(tmp_path: Path) -> None:
    card = _too_big_card(tmp_path)
    result = CliRunner().invoke(cli, ["compare", str(card), str(REFERENCE), str(REFERENCE)])
    assert result.exit_code == 3, result.output
    assert "CPUs, the machine has" in result.output
    assert "--allow-smaller-machine" in result.output
    assert "B/A" not in result.output


@pytest.mark.skipif(
    shutil.which("bwrap") is None or shutil.which("g++") is None, reason="needs bwrap and g++"
)
def test_allowed_the_figures_carry_the_smaller_machine_mark(tmp_path: Path) -> None:
    card = _too_big_card(tmp_path)
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            str(card),
            "--store",
            str(REFERENCE),
            "--allow-smaller-machine",
            "--json",
            str(out),
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(smaller machine than the card)" in result.output
    text = out.read_text()
    assert '"smaller_machine": "measured on a smaller machine than the card: card' in text
