"""The durability gate's supervisor (``jitskit-durability``): it never links the store,
keeps the value key and the acknowledgements out of the store's reach, kills the writer
mid-stream, and names what a store did wrong: tampered acknowledgements, a writer that
stopped, values it could not have without the key."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from harnesskit import (
    HACK_STORES,
    Built,
    events,
    gate_line,
    hooked_store,
    run,
    write_config,
)

from jitskit_tui.harness.modes import progress_from
from jitskit_tui.harness.syscalls import check_sync_before_ack

STRACE_CALLS = "access,write,pwrite64,writev,fsync,fdatasync,msync,mmap,sync,syncfs,openat"


def hooked_harness(built: Built, tmp_path: Path, **hooks: str) -> Path:
    source = tmp_path / "hooked.cc"
    source.write_text(hooked_store(**hooks))
    return built.harness_with(source, tmp_path / "harness-hooked")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory an unprivileged user can use (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="jitskit-durability-test-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def durability_config(directory: Path, durability: str = "process_crash") -> Path:
    data = directory / "data"
    data.mkdir(mode=0o777)
    data.chmod(0o777)
    config = write_config(
        directory / "d.cfg", durability=durability, data_dir=data, record_count=200, threads=2
    )
    config.chmod(0o644)
    return config


def supervise(
    built: Built,
    config: Path,
    harness: Path,
    *extra: object,
    prefix: tuple[str, ...] = (),
    kill_after: float = 1.0,
) -> subprocess.CompletedProcess[str]:
    return run(
        *prefix,
        built.durability,
        "--config",
        config,
        "--harness",
        harness,
        "--kill-after",
        kill_after,
        *extra,
        timeout=180,
    )


def unprivileged() -> tuple[str, ...]:
    """As the sandbox runs stores: an ordinary user without CAP_SYS_PTRACE."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv to drop to an ordinary user")
    return ("setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--inh-caps=-all")


def test_supervisor_does_not_link_the_store(built: Built) -> None:
    supervisor = run("nm", built.durability).stdout
    assert "jitskit_create_store" not in supervisor
    assert "jitskit_create_store" in run("nm", built.harness).stdout


def test_reference_store_passes_the_durability_gate(built: Built, tmp_path: Path) -> None:
    result = supervise(built, durability_config(tmp_path), built.harness)
    phases = [e["phase"] for e in events(result.stdout) if e["event"] == "phase"]
    assert phases == ["run", "verify"]
    gate = gate_line(result, "durability")
    assert gate["passed"], gate["detail"]
    assert "killed with SIGKILL" in gate["detail"] and "acknowledged writes" in gate["detail"]


def test_supervisor_reports_acknowledged_writes_and_keys_read_back_as_progress(
    built: Built, tmp_path: Path
) -> None:
    # Open takes 300 ms and every call 2 ms: each phase starts with nothing done.
    harness = hooked_harness(built, tmp_path, opening="usleep(300000);", call="usleep(2000);")
    config = durability_config(tmp_path)
    with config.open("a") as settings:
        settings.write("tick_ms=20\n")
    out = events(supervise(built, config, harness).stdout)
    marks = {"durability-write": "w", "durability-verify": "v", "verify": "V"}
    order = "".join(marks.get(e.get("phase", ""), "G" if e["event"] == "gate" else "") for e in out)
    assert re.fullmatch(r"w+Vv+G", order), f"writes, the verify phase, reads, verdict: {order}"
    progress = [progress_from(e) for e in out if e["event"] == "progress"]
    write = [p for p in progress if p.phase == "durability-write"]
    verify = [p for p in progress if p.phase == "durability-verify"]
    assert write[0].done == 0, "ticks come while the writer's Open has not returned"
    assert write[-1].done > 0 and all(p.total == 0 for p in write)
    assert [p.done for p in write] == sorted(p.done for p in write)
    assert verify[0].done == 0, "ticks come while the store reopens"
    assert {p.total for p in verify} == {200}, "2 threads x 100 keys each"
    assert [p.done for p in verify] == sorted(p.done for p in verify)
    assert verify[-1].done <= 200


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_power_loss_trace_streams_back_with_every_write_synced(
    built: Built, tmp_path: Path
) -> None:
    config = durability_config(tmp_path, "power_loss")
    result = supervise(built, config, built.harness, "--strace-calls", STRACE_CALLS)
    gate = gate_line(result, "durability")
    assert gate["passed"], gate["detail"]
    trace = "".join(e["text"] for e in events(result.stdout) if e["event"] == "trace")
    check = check_sync_before_ack(trace, str(tmp_path / "data"))
    assert check.passed and check.acknowledged > 10, check
    # The writer inherits no descriptor of the trace: only its own pipes and stdio.
    assert "/.jitskit-ack/" in trace and "pipe:" in trace


@pytest.mark.parametrize(
    ("upsert", "words"),
    [
        pytest.param(
            # An acknowledgement of a write never sent, straight into the harness's pipe.
            "if (n == 100) { uint64_t r[2] = {2, 999999}; (void)!::write(3, r, 16); }",
            ["acknowledgement pipe tampering", "seq 999999"],
            id="forged-acknowledgement",
        ),
        pytest.param(
            'if (n == 100) { int fd = ::open("/dev/null", O_WRONLY); ::dup2(fd, 3); ::close(fd); }',
            ["interfered with the harness", "pipe's descriptor was closed or replaced"],
            id="descriptor-replaced",
        ),
    ],
)
def test_store_touching_the_acknowledgement_pipe_fails_as_tampering(
    built: Built, tmp_path: Path, upsert: str, words: list[str]
) -> None:
    harness = hooked_harness(built, tmp_path, upsert=upsert)
    gate = gate_line(supervise(built, durability_config(tmp_path), harness), "durability")
    assert not gate["passed"]
    assert all(word in gate["detail"] for word in words), gate["detail"]


def test_writer_that_stops_acknowledging_fails_after_the_stall_limit(
    built: Built, tmp_path: Path
) -> None:
    stall = "if (n > 200) { for (;;) std::this_thread::sleep_for(std::chrono::seconds(1)); }"
    harness = hooked_harness(built, tmp_path, upsert=stall)
    result = supervise(built, durability_config(tmp_path), harness, "--stall-limit", 1.5)
    gate = gate_line(result, "durability")
    assert not gate["passed"]
    assert gate["detail"].startswith("acknowledgements stopped: writer thread")
    assert "no acknowledged Upsert for" in gate["detail"]


def test_store_that_cannot_open_gets_its_open_error(built: Built, tmp_path: Path) -> None:
    harness = hooked_harness(built, tmp_path, opened="Status::kError")
    gate = gate_line(supervise(built, durability_config(tmp_path), harness), "durability")
    assert not gate["passed"]
    assert gate["detail"].startswith("Open returned kError")


def _secret_hunt(built: Built, directory: Path, prefix: tuple[str, ...]) -> tuple[dict, str]:
    harness = built.harness_with(HACK_STORES / "secret_hunt" / "store.cc", directory / "hunt")
    supervisor = directory / "jitskit-durability"
    shutil.copy(built.durability, supervisor)
    for binary in (harness, supervisor):
        binary.chmod(0o755)
    config = durability_config(directory)
    result = run(
        *prefix,
        supervisor,
        "--config",
        config,
        "--harness",
        harness,
        "--kill-after",
        1.0,
        timeout=300,
    )
    return gate_line(result, "durability"), result.stderr


def test_store_hunting_for_the_value_key_finds_nothing_and_loses_writes(
    built: Built, shared_dir: Path
) -> None:
    gate, stderr = _secret_hunt(built, shared_dir, unprivileged())
    assert not gate["passed"]
    assert gate["detail"].startswith("lost acknowledged write"), gate["detail"]
    # It did look: the supervisor's memory, environment and descriptors were refused.
    supervisor = [line for line in stderr.splitlines() if "ancestor" in line and "durabil" in line]
    assert any("/mem: Permission denied" in line for line in supervisor), stderr[-3000:]
    assert any("/environ: Permission denied" in line for line in supervisor)
    assert "no value key found" in stderr and "0 values forged" in stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the control needs CAP_SYS_PTRACE (root)")
def test_store_hunting_for_the_value_key_forges_when_it_may_read_the_supervisor(
    built: Built, shared_dir: Path
) -> None:
    # The control: with CAP_SYS_PTRACE, which the sandbox never grants, the hunt
    # succeeds and the forged values pass. What stops it is the supervisor being
    # non-dumpable to an ordinary user, not a weakness of the hunt.
    gate, stderr = _secret_hunt(built, shared_dir, ())
    assert "FOUND the value key" in stderr
    assert gate["passed"], gate["detail"]
