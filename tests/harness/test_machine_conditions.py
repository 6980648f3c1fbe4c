"""Machine conditions travel with every measurement: load before and after, what else was
busy, the CPU governor, SMT, transparent huge pages and the pinned CPUs, with a warning
when the machine was busy."""

from __future__ import annotations

from pathlib import Path

import pytest

from jitskit_tui.harness.conditions import Snapshot, conditions, parse_probe, probe
from jitskit_tui.sandbox.base import Limits
from jitskit_tui.sandbox.local import LocalMachine

PROBE_OUTPUT = """\
load 0.52 0.40 0.31 2/180 999
before cpu0 1000 0 100 5000 10 0 0 0 0 0
before cpu1 1000 0 100 5000 10 0 0 0 0 0
before cpu2 1000 0 100 5000 10 0 0 0 0 0
Cpus_allowed_list:\t0-1
governor performance
smt notsupported
thp always [madvise] never
after cpu0 1010 0 100 5040 10 0 0 0 0 0
after cpu1 1000 0 100 5050 10 0 0 0 0 0
after cpu2 1050 0 0 5000 10 0 0 0 0 0
"""


def test_the_probe_reads_load_pinned_cpus_and_settings() -> None:
    snapshot = parse_probe(PROBE_OUTPUT)
    assert snapshot.load == (0.52, 0.40, 0.31)
    assert snapshot.pinned == [0, 1] and snapshot.cpu_count == 3
    assert (snapshot.governor, snapshot.smt, snapshot.thp) == (
        "performance",
        "notsupported",
        "madvise",
    )


def test_others_cpu_is_counted_on_the_pinned_cpus_only() -> None:
    # cpu0: 10 busy of 50 ticks, cpu1 idle; cpu2 (not ours) fully busy does not count.
    snapshot = parse_probe(PROBE_OUTPUT)
    assert snapshot.other_cpu == pytest.approx(2 * 10 / 100)


def test_what_a_machine_does_not_show_stays_unknown() -> None:
    snapshot = parse_probe("load 0.1 0.1 0.1 1/1 1\ngovernor \nsmt \nthp \n")
    assert snapshot.other_cpu is None and snapshot.pinned == []
    assert (snapshot.governor, snapshot.smt, snapshot.thp) == ("unknown", "unknown", "unknown")


def test_an_idle_machine_carries_no_warning() -> None:
    quiet = Snapshot(load=(0.1, 0.1, 0.1), other_cpu=0.02, pinned=[0, 1], cpu_count=2)
    found = conditions(quiet, quiet)
    assert not found.busy and found.warning == ""
    assert found.pinned_cpus == [0, 1] and found.load_before == (0.1, 0.1, 0.1)


def test_a_busy_machine_is_warned_about_naming_the_busiest_processes() -> None:
    quiet = Snapshot(load=(0.2, 0.2, 0.2), other_cpu=0.05)
    busy = Snapshot(
        load=(2.5, 1.0, 0.5),
        other_cpu=1.4,
        busy_processes=[("make (pid 42)", 0.9), ("cc1plus (pid 43)", 0.5)],
    )
    found = conditions(quiet, busy)
    assert found.busy
    assert "1.4 CPUs" in found.warning and "make (pid 42) 90% CPU" in found.warning
    assert found.busy_processes == ["make (pid 42) 90% CPU", "cc1plus (pid 43) 50% CPU"]
    assert found.other_cpu_before == 0.05 and found.other_cpu_after == 1.4


def test_one_busy_process_alone_makes_the_machine_busy() -> None:
    snapshot = Snapshot(other_cpu=None, busy_processes=[("stress (pid 7)", 0.6)])
    assert conditions(snapshot, Snapshot()).busy


THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
THP_TEXT = THP.read_text() if THP.exists() else ""


async def test_a_real_sandbox_shows_the_pinned_cpus_and_the_host_settings() -> None:
    machine = LocalMachine()
    await machine.check()
    limits = Limits(cpus=1, memory_bytes=256 << 20, cpuset=(0,))
    sandbox = await machine.open(
        run_id="conditions", iteration=None, limits=limits, data_volume=False
    )
    async with sandbox:
        snapshot = await probe(sandbox, machine)
    assert snapshot.pinned == [0]
    assert snapshot.cpu_count >= 1 and snapshot.other_cpu is not None
    assert all(value >= 0 for value in snapshot.load)
    if THP_TEXT:
        assert snapshot.thp in THP_TEXT
