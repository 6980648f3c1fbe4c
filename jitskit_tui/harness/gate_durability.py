"""The durability gate: kill the writer mid-stream, then check every acknowledged write.

Under ``power_loss`` the writer also runs under strace, and every acknowledged write
must have been synced before its acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

from jitskit_tui.harness.build import BINARY
from jitskit_tui.harness.eval_run import GATE_TIMEOUT_S, EvalRun
from jitskit_tui.harness.modes import EXIT_TAMPERED, crash_reason, gate_from, run_mode
from jitskit_tui.harness.syscalls import check_sync_before_ack
from jitskit_tui.protocol.results import GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import EvalSandbox

_STRACE_CALLS = (
    "access,write,pwrite64,writev,pwritev,pwritev2,fallocate,ftruncate,fsync,fdatasync,"
    "msync,mmap,sync,syncfs,"
    "open,openat,openat2,creat"
)


async def durability_gate(run: EvalRun, run_conf: str) -> GateResult:
    """Kills the durability writer at a random moment and verifies what it acknowledged."""
    spec = run.spec
    power_loss = spec.requirement.durability == "power_loss"
    await run.reset_data()
    acks = f"{LAYOUT.out}/acks.log"
    prefix: tuple[str, ...] = ()
    extra: tuple[str, ...] = ("--ack-log", acks)
    if power_loss:
        prefix = (
            "strace",
            "-f",
            "-y",
            "-qq",
            "-o",
            f"{LAYOUT.out}/strace.log",
            "-e",
            f"trace={_STRACE_CALLS}",
        )
        extra += ("--markers",)
    kill_after = run.rng.uniform(1.0, 2.5)
    argv = [*prefix, BINARY, "durability-writer", "--config", run_conf, *extra]
    outcome = await kill_mid_stream(run.sandbox, argv, kill_after)
    run.logs["durability-writer"] = outcome.log
    if outcome.failure is not None:
        return GateResult(name="durability", passed=False, detail=outcome.failure)
    if power_loss:
        trace = await run.sh(f"cat {LAYOUT.out}/strace.log", timeout_s=60)
        check = check_sync_before_ack(trace, LAYOUT.store_data)
        if check.acknowledged == 0:
            return GateResult(
                name="durability",
                passed=False,
                detail=f"no write was acknowledged in {kill_after:.1f}s under the syscall tracer",
            )
        if not check.passed:
            return GateResult(
                name="durability",
                passed=False,
                detail=f"acknowledged before sync: {check.uncovered_count} of {check.acknowledged} "
                f"traced writes were acknowledged with no fsync/fdatasync/msync of the data "
                f"directory in between (first: {', '.join(check.uncovered)}); power_loss needs "
                "every write synced before Upsert returns",
            )
    verify = await run_mode(
        run.sandbox,
        "durability-verify",
        run_conf,
        timeout_s=GATE_TIMEOUT_S,
        extra=("--ack-log", acks),
    )
    run.log("durability-verify", verify)
    gate = gate_from(verify, "durability", GATE_TIMEOUT_S)
    if gate.passed:
        gate.detail = f"killed with SIGKILL after {kill_after:.1f}s; {gate.detail}"
    return gate


@dataclass
class _Killed:
    failure: str | None
    log: str


WRITER_OPEN_TIMEOUT_S = 60.0


async def kill_mid_stream(sandbox: EvalSandbox, argv: list[str], kill_after: float) -> _Killed:
    """Runs the durability writer and SIGKILLs it ``kill_after`` seconds into its write
    stream (counted from its `run` phase line, once the store is open)."""
    writing = asyncio.Event()
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        try:
            event = json.loads(line)
        except ValueError:
            return
        if isinstance(event, dict) and event.get("phase") == "run":
            writing.set()

    task = asyncio.create_task(
        sandbox.run(argv, timeout_s=WRITER_OPEN_TIMEOUT_S + kill_after + 30, on_stdout_line=on_line)
    )
    waiter = asyncio.create_task(writing.wait())
    try:
        await asyncio.wait(
            {task, waiter}, timeout=WRITER_OPEN_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if writing.is_set():
            await asyncio.wait({task}, timeout=kill_after)
        if not task.done():
            task.cancel()  # kill -9: cancelling a sandbox command SIGKILLs all it started
            await asyncio.wait({task})
            if writing.is_set():
                return _Killed(None, f"killed with SIGKILL {kill_after:.1f}s into the writes")
            return _Killed(
                f"the store did not open within {WRITER_OPEN_TIMEOUT_S:.0f}s", "\n".join(lines)
            )
        ended = task.result()
        log = "\n".join(lines) + "\n" + ended.stderr[-5000:]
        if ended.exit_code == EXIT_TAMPERED:
            return _Killed(
                f"the store interfered with the harness: {ended.stderr.strip()[-300:]}", log
            )
        for line in reversed(lines):
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and event.get("event") == "gate":
                    return _Killed(str(event.get("detail", "the writer failed")), log)
        return _Killed(
            f"the writer ended before it was killed: {crash_reason(ended, kill_after)}", log
        )
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
