"""The sandbox's layout is the security boundary: where the store may write, where the
harness writes, and what every command and the benchmark image start from.

The paths are spelled out here on purpose: a change to the boundary must change a test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jitskit_tui.harness.config import harness_config
from jitskit_tui.machine.recipe import RECIPE
from jitskit_tui.paths import packaged
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import EvalSandbox, Limits
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec_text


def test_the_store_may_write_only_its_data_volume_and_its_tmp() -> None:
    assert LAYOUT.store_writable == ("/data", "/tmp")
    assert not any(place.startswith(LAYOUT.work) for place in LAYOUT.store_writable)


def test_store_commands_write_data_and_tmp_and_build_commands_work_too() -> None:
    assert LAYOUT.writable("store") == ("/data", "/tmp")
    assert LAYOUT.writable("build") == ("/work", "/data", "/tmp")


def test_each_other_side_lives_in_its_own_folder_of_the_working_folder() -> None:
    assert LAYOUT.peer("incumbent") == "/work/peers/incumbent"
    assert LAYOUT.peer("baseline:tbb-chm") == "/work/peers/baseline-tbb-chm"
    assert LAYOUT.peer("../etc") == "/work/peers/-etc"
    with pytest.raises(ValueError):
        LAYOUT.peer("..")
    # The store may write none of them: they are in the working folder, read-only to it.
    assert LAYOUT.peers.startswith(LAYOUT.work + "/")
    assert not any(LAYOUT.peers.startswith(p) for p in LAYOUT.writable("store"))


def test_a_durable_store_keeps_its_data_inside_the_data_volume() -> None:
    card = packaged("specs", "ycsb-a-power-loss.yaml")
    spec = load_spec_text(card.read_text(), file=str(card))
    assert harness_config(spec)["data_dir"] == "/data/store"
    assert LAYOUT.audit_data("t1") == "/data/audit-t1"


def test_the_image_owns_the_volumes_and_homes_its_user_in_the_working_folder() -> None:
    assert RECIPE.owned_dirs == ("/work", "/data")
    assert ("HOME", "/work") in RECIPE.env
    assert ":/work:/bin/sh" in RECIPE.passwd_line()
    assert "WORKDIR /work" in RECIPE.image_changes()


@pytest.fixture
async def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EvalSandbox]:
    monkeypatch.setenv("JITSKIT_SCRATCH", str(tmp_path))
    machine = LocalMachine()
    await machine.check()
    limits = Limits(cpus=1, memory_bytes=128 << 20, pids=64)
    box = await machine.open(run_id="layout", iteration=None, limits=limits, data_volume=True)
    try:
        yield box
    finally:
        await box.close()


async def test_commands_start_in_the_working_folder_with_home_and_tmpdir_set(
    sandbox: EvalSandbox,
) -> None:
    result = await sandbox.run(["sh", "-c", 'echo "$(pwd) $HOME $TMPDIR"'], timeout_s=30)
    assert result.stdout.split() == ["/work", "/work", "/tmp"]
