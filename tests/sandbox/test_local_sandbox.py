"""The local sandbox: bubblewrap jail with cgroup limits, and nothing left behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access
from jitskit_tui.sandbox import cgroups
from jitskit_tui.sandbox.base import EvalSandbox, Limits
from jitskit_tui.sandbox.local import LocalMachine, LocalSandbox, reap_orphans

LIMITS = Limits(cpus=1, memory_bytes=128 << 20, cpuset=(0,), pids=64)


@pytest.fixture
async def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[EvalSandbox]:
    monkeypatch.setenv("JITSKIT_SCRATCH", str(tmp_path))
    machine = LocalMachine()
    await machine.check()
    box = await machine.open(run_id="test", iteration=1, limits=LIMITS, data_volume=True)
    try:
        yield box
    finally:
        await box.close()


async def sh(box: EvalSandbox, script: str, access: Access = "store") -> str:
    result = await box.run(["sh", "-c", script], timeout_s=30, access=access)
    assert result.exit_code == 0, result.stderr
    return result.stdout


async def running_commands() -> str:
    ps = await asyncio.create_subprocess_exec("ps", "-eo", "args", stdout=asyncio.subprocess.PIPE)
    out, _ = await ps.communicate()
    return out.decode()


async def test_commands_see_only_system_dirs_and_their_own(sandbox: EvalSandbox) -> None:
    out = await sh(sandbox, "ls / | tr '\\n' ' '; test -e /root && echo LEAK; true")
    assert "LEAK" not in out
    assert set(out.split()) <= {
        "bin",
        "data",
        "dev",
        "etc",
        "lib",
        "lib64",
        "proc",
        "sbin",
        "tmp",
        "usr",
        "work",
        "lib32",
        "libx32",
    }
    # The host's files, the user's home and its API keys among them, are not there.
    assert not (await sandbox.run(["cat", str(Path.home() / ".bashrc")], timeout_s=10)).ok


@pytest.mark.parametrize(
    "place", ["/usr/evil", "/work/a", "/work/build/jitskit-harness", "/etc/x", "/dev/shm/x", "/x"]
)
async def test_a_store_command_cannot_write_outside_its_data_and_tmp(
    sandbox: EvalSandbox, place: str
) -> None:
    # The harness's binary exists, as after a build: the store can neither replace it
    # nor remove it.
    await sh(sandbox, "mkdir -p /work/build && echo elf > /work/build/jitskit-harness", "build")
    denied = await sandbox.run(["sh", "-c", f"echo x > {place} || rm {place}"], timeout_s=10)
    assert denied.exit_code != 0 and "Read-only file system" in denied.stderr
    await sh(sandbox, "echo ok > /data/b && echo ok > /tmp/c")


async def test_a_build_command_also_writes_the_working_folder(sandbox: EvalSandbox) -> None:
    await sh(sandbox, "echo ok > /work/a && echo ok > /data/b", access="build")
    assert await sh(sandbox, "cat /work/a") == "ok\n"


async def test_each_command_gets_a_fresh_tmp(sandbox: EvalSandbox) -> None:
    await sh(sandbox, "echo left > /tmp/behind")
    assert await sh(sandbox, "ls -A /tmp") == ""


async def test_no_network(sandbox: EvalSandbox) -> None:
    out = await sh(sandbox, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
    assert out.split() == ["lo"]


async def test_cpus_and_memory_limits_apply(sandbox: EvalSandbox) -> None:
    assert "Cpus_allowed_list:\t0" in await sh(sandbox, "grep Cpus_allowed_list /proc/self/status")
    assert sandbox.limits_applied.memory_bytes == 128 << 20
    hog = "python3 -c 'x = bytearray(512 << 20); x[::4096] = b\"1\" * len(x[::4096])'"
    result = await sandbox.run(["sh", "-c", hog], timeout_s=30)
    assert result.oom_killed and not result.ok


async def test_output_lines_stream_while_the_command_runs(sandbox: EvalSandbox) -> None:
    seen: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    result = await sandbox.run(
        ["sh", "-c", "echo one; sleep 0.5; echo two"],
        timeout_s=10,
        on_stdout_line=lambda line: seen.append((line, loop.time())),
    )
    assert [line for line, _ in seen] == ["one", "two"]
    assert seen[1][1] - seen[0][1] > 0.3, "lines must arrive as printed, not at the end"
    assert result.stdout == "one\ntwo\n"


async def test_timeout_kills_every_process_the_command_started(sandbox: EvalSandbox) -> None:
    marker = f"jitskit-sleeper-{os.getpid()}"
    result = await sandbox.run(
        ["bash", "-c", f"(exec -a {marker} sleep 300) & (exec -a {marker} sleep 300) & wait"],
        timeout_s=1,
    )
    assert result.timed_out and not result.ok
    assert marker not in await running_commands()


async def test_cancellation_kills_the_command(sandbox: EvalSandbox) -> None:
    marker = f"jitskit-cancelled-{os.getpid()}"
    task = asyncio.create_task(
        sandbox.run(["bash", "-c", f"exec -a {marker} sleep 300"], timeout_s=60)
    )
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert marker not in await running_commands()


async def test_upload_and_download_round_trip(sandbox: EvalSandbox, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "hello.txt").write_text("hello")
    await sandbox.upload(src, f"{LAYOUT.work}/in")
    await sh(
        sandbox,
        f"tr a-z A-Z < {LAYOUT.work}/in/hello.txt > {LAYOUT.work}/out.txt",
        access="build",
    )
    await sandbox.download(f"{LAYOUT.work}/out.txt", tmp_path / "back")
    assert (tmp_path / "back" / "out.txt").read_text() == "HELLO"


async def test_close_leaves_no_files_or_cgroups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JITSKIT_SCRATCH", str(tmp_path))
    box = await LocalMachine().open(run_id="t", iteration=None, limits=LIMITS, data_volume=False)
    assert isinstance(box, LocalSandbox)
    dirs = list(box._group.dirs)
    await box.close()
    assert not box.root.exists()
    assert not any(d.exists() for d in dirs)


def test_leftovers_of_a_dead_client_are_reaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JITSKIT_SCRATCH", str(tmp_path))
    # A client that died: its pid no longer exists.
    proc = subprocess.Popen(["true"])
    proc.wait()
    stale = tmp_path / f"jitskit-{proc.pid}-abcd"
    (stale / "work").mkdir(parents=True)
    (stale / "owner").write_text("run 1\n")
    group_dir = None
    base = cgroups.CGROUP_ROOT / "pids"
    if base.is_dir():
        group_dir = base / f"jitskit-{proc.pid}-1"
        group_dir.mkdir()
    reaped = reap_orphans()
    assert str(stale) in reaped and not stale.exists()
    if group_dir is not None:
        assert not group_dir.exists()
