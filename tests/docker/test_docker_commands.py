"""Commands in the container: live output, files in and out, timeouts, cancellation,
and the OOM killer reported as such."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from jitskit_tui.sandbox.base import Limits, MachineError
from jitskit_tui.sandbox.docker import DockerMachine

pytestmark = pytest.mark.docker

SMALL = Limits(cpus=1, memory_bytes=256 << 20)

ALLOCATOR = r"""
#include <cstdio>
#include <cstdlib>
#include <cstring>
int main() {
  for (int i = 0; i < 4096; ++i) {
    char* block = static_cast<char*>(std::malloc(1 << 20));
    std::memset(block, i, 1 << 20);
  }
  std::puts("survived");
}
"""


async def test_stdout_lines_reach_the_callback_while_the_command_runs(
    local_machine: DockerMachine, run_id: str
) -> None:
    seen: list[tuple[float, str]] = []
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False
    ) as sandbox:
        started = time.monotonic()
        result = await sandbox.run(
            ["sh", "-c", "for i in 1 2 3 4; do echo tick $i; sleep 0.4; done; echo oops >&2"],
            timeout_s=30,
            on_stdout_line=lambda line: seen.append((time.monotonic() - started, line)),
        )
    assert result.ok
    assert [line for _, line in seen] == ["tick 1", "tick 2", "tick 3", "tick 4"]
    # Streamed, not delivered at the end: the first tick came long before the last.
    assert seen[-1][0] - seen[0][0] > 1.0
    assert result.stderr == "oops\n"
    assert result.stdout.splitlines() == ["tick 1", "tick 2", "tick 3", "tick 4"]


async def test_archive_upload_and_download_round_trip(
    local_machine: DockerMachine, run_id: str, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    (src / "nested" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_text("alpha\n")
    (src / "nested" / "deeper" / "b.bin").write_bytes(bytes(range(256)) * 1000)
    script = src / "run.sh"
    script.write_text("#!/bin/sh\necho ran > /work/in/out/made.txt\n")
    script.chmod(0o755)
    (src / "link").symlink_to("a.txt")
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=True
    ) as sandbox:
        await sandbox.upload(src, "/work/in")
        made = await sandbox.run(["sh", "-c", "mkdir -p /work/in/out && ./in/run.sh"],
                                 timeout_s=30, access="build")  # fmt: skip
        assert made.ok, made.stderr
        await sandbox.upload(src / "nested", "/data")
        listing = await sandbox.run(["ls", "/data/deeper"], timeout_s=30)
        await sandbox.download("/work/in", tmp_path / "back")
        await sandbox.download("/work/in/out/made.txt", tmp_path / "file")
        with pytest.raises(MachineError, match="does not exist"):
            await sandbox.download("/work/missing", tmp_path / "none")
    back = tmp_path / "back" / "in"
    assert (back / "a.txt").read_text() == "alpha\n"
    assert (back / "nested" / "deeper" / "b.bin").read_bytes() == bytes(range(256)) * 1000
    assert (back / "run.sh").stat().st_mode & 0o111
    assert (back / "link").is_symlink() and (back / "link").read_text() == "alpha\n"
    assert (back / "out" / "made.txt").read_text() == "ran\n"
    assert (tmp_path / "file" / "made.txt").read_text() == "ran\n"
    assert listing.stdout.split() == ["b.bin"]


async def test_upload_outside_the_writable_mounts_is_refused(
    local_machine: DockerMachine, run_id: str, tmp_path: Path
) -> None:
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False
    ) as sandbox:
        with pytest.raises(MachineError, match="only under /work"):
            await sandbox.upload(tmp_path, "/usr/local")
        with pytest.raises(MachineError, match="only under /work"):
            await sandbox.upload(tmp_path, "/data")
        with pytest.raises(MachineError, match="only under /work"):
            await sandbox.download("/tmp/x", tmp_path)


async def test_timeout_kills_the_command_and_everything_it_started(
    local_machine: DockerMachine, run_id: str
) -> None:
    escape = "setsid sh -c 'sleep 300' & (sleep 300 &) ; echo started; sleep 300"
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False
    ) as sandbox:
        started = time.monotonic()
        result = await sandbox.run(["sh", "-c", escape], timeout_s=1.5)
        elapsed = time.monotonic() - started
        survivors = await sandbox.run(
            ["sh", "-c", "ps -eo user=,comm= | grep -c '^bench .*sleep' || true"], timeout_s=30
        )
        again = await sandbox.run(["echo", "still usable"], timeout_s=30)
    assert result.timed_out and not result.ok
    assert result.signal == 9 and result.exit_code is None
    assert result.stdout.strip() == "started"
    assert elapsed < 10
    assert survivors.stdout.strip() == "0"
    assert again.stdout == "still usable\n"


async def test_cancelling_a_run_kills_the_command_before_the_cancellation_returns(
    local_machine: DockerMachine, run_id: str
) -> None:
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False
    ) as sandbox:
        task = asyncio.create_task(sandbox.run(["sleep", "300"], timeout_s=600))
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        survivors = await sandbox.run(
            ["sh", "-c", "ps -eo user=,comm= | grep -c '^bench .*sleep' || true"], timeout_s=30
        )
    assert survivors.stdout.strip() == "0"


async def test_allocating_past_the_memory_limit_is_reported_as_an_oom_kill(
    local_machine: DockerMachine, run_id: str, tmp_path: Path
) -> None:
    (tmp_path / "hog.cc").write_text(ALLOCATOR)
    limits = Limits(cpus=1, memory_bytes=128 << 20)
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=limits, data_volume=False
    ) as sandbox:
        await sandbox.upload(tmp_path, "/work/hog")
        built = await sandbox.run(["g++", "-O1", "-o", "hog", "hog.cc"], timeout_s=120,
                                  cwd="/work/hog", access="build")  # fmt: skip
        assert built.ok, built.stderr
        result = await sandbox.run(["./hog"], timeout_s=60, cwd="/work/hog")
        fine = await sandbox.run(["true"], timeout_s=30)
    assert result.oom_killed and not result.ok
    assert result.signal == 9
    assert "survived" not in result.stdout
    assert not result.timed_out
    assert fine.ok and not fine.oom_killed


async def test_a_failing_command_is_not_mistaken_for_an_oom_kill(
    local_machine: DockerMachine, run_id: str
) -> None:
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=False
    ) as sandbox:
        result = await sandbox.run(["sh", "-c", "kill -KILL $$"], timeout_s=30)
        missing = await sandbox.run(["no-such-program"], timeout_s=30)
    assert result.signal == 9 and not result.oom_killed
    assert missing.exit_code not in (0, None) and not missing.oom_killed


async def test_strace_can_trace_a_command_in_the_container(
    local_machine: DockerMachine, run_id: str
) -> None:
    async with await local_machine.open(
        run_id=run_id, iteration=1, limits=SMALL, data_volume=True
    ) as sandbox:
        result = await sandbox.run(
            ["strace", "-f", "-e", "trace=fsync", "-o", "/data/trace.log",
             "sh", "-c", "echo x > /data/f && sync /data/f"],
            timeout_s=60,
        )  # fmt: skip
        trace = await sandbox.run(["cat", "/data/trace.log"], timeout_s=30)
    assert result.ok, result.stderr
    assert "fsync(" in trace.stdout
