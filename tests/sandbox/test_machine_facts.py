"""Every result names the machine it ran on, whatever phase failed: the machine's facts
are read before anything is built, not only from the harness's result line."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec

TINY = Path(__file__).parents[1] / "tui" / "tiny.yaml"


async def test_this_host_says_its_cpus_memory_kernel_compiler_and_data_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JITSKIT_SCRATCH", str(tmp_path))
    facts = await LocalMachine().facts()
    assert facts.cpu_ids == sorted(os.sched_getaffinity(0))
    assert facts.cpu_count == len(facts.cpu_ids)
    assert facts.memory_bytes > 0 and facts.cpu_model not in ("", "unknown")
    assert facts.kernel.startswith("Linux ")
    assert facts.data_medium in ("disk", "tmpfs") and facts.data_free_bytes > 0
    assert "unknown" not in facts.describe() and " 0 CPUs" not in facts.describe()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_a_store_that_does_not_compile_still_names_its_machine(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "store.cc").write_text("this is not C++\n")
    request = EvalRequest(spec=load_spec(TINY), store_dir=store, seed=1)
    result = asyncio.run(evaluate(request, LocalMachine()))
    assert [g.name for g in result.failed_gates] == ["build"]
    line = result.machine.describe()
    assert line.startswith("local: ") and "unknown" not in line and " 0 CPUs" not in line
    assert result.machine.memory_bytes > 0
