"""The durability gate: kill the writer mid-stream, then check every acknowledged write.

The engine runs one command, the durability supervisor (``jitskit-durability``, built
from harness sources without the store). It holds the key that codes the values and the
only record of acknowledgements, feeds the store-linked writer over pipes, kills it with
SIGKILL at the moment chosen here, and checks what the reopened store holds
(docs/harness-protocol.md, "Durability"). Under ``power_loss`` it also runs the writer
under strace and streams the trace back; every acknowledged write must have been synced
before its acknowledgement (:mod:`syscalls`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from jitskit_tui.harness.build import BINARY, DURABILITY_SUPERVISOR
from jitskit_tui.harness.eval_bounds import gate_watch
from jitskit_tui.harness.eval_run import GATE_TIMEOUT_S, EvalRun
from jitskit_tui.harness.modes import ModeOutput, gate_from
from jitskit_tui.harness.syscalls import SyncCheck, check_sync_before_ack
from jitskit_tui.harness.watchdog import Watchdog, watched
from jitskit_tui.protocol.results import GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT

_STRACE_CALLS = (
    "access,write,pwrite64,writev,pwritev,pwritev2,fallocate,ftruncate,fsync,fdatasync,"
    "msync,mmap,sync,syncfs,"
    "open,openat,openat2,creat"
)
KILL_AFTER_S = (1.0, 2.5)
"""The kill lands this many seconds after the store is open (uniform, seeded)."""
WRITER_OPEN_TIMEOUT_S = 60.0
"""Open in the writer must return within this."""
STALL_LIMIT_S = 10.0
"""A writer thread with no acknowledged write for this long fails the gate: the kill
must land mid-stream, and a store whose writes stopped is deadlocked (or its
acknowledgements are withheld from the supervisor)."""
VERIFY_TIMEOUT_S = GATE_TIMEOUT_S
"""Reopening the store and reading every tracked key back."""


@dataclass
class _Streamed:
    """The supervisor's JSON lines, the syscall trace apart."""

    watch: Watchdog
    events: list[dict[str, object]] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    garbage: int = 0

    def take(self, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            self.garbage += 1
            return
        if not isinstance(event, dict) or "event" not in event:
            self.garbage += 1
        elif event["event"] == "trace":
            self.trace.append(str(event.get("text", "")))
        elif event["event"] == "progress":
            self.watch.on_event(event)
        else:
            self.events.append(event)


def supervisor_argv(run_conf: str, kill_after: float, power_loss: bool) -> list[str]:
    """The command line of one durability gate run."""
    argv = [
        DURABILITY_SUPERVISOR,
        "--config",
        run_conf,
        "--harness",
        BINARY,
        "--kill-after",
        f"{kill_after:.3f}",
        "--open-timeout",
        f"{WRITER_OPEN_TIMEOUT_S:g}",
        "--stall-limit",
        f"{STALL_LIMIT_S:g}",
        "--verify-timeout",
        f"{VERIFY_TIMEOUT_S:g}",
    ]
    if power_loss:
        argv += ["--strace-calls", _STRACE_CALLS]
    return argv


async def durability_gate(run: EvalRun, run_conf: str) -> GateResult:
    """Runs the durability supervisor and turns what it and the trace say into a verdict."""
    power_loss = run.spec.requirement.durability == "power_loss"
    await run.reset_data()
    kill_after = run.rng.uniform(*KILL_AFTER_S)
    # Its progress (acknowledgements, keys read back) goes to the watchdog, which holds
    # it to the durability budget; the supervisor's own limits stay.
    watch, timeout = gate_watch(run, "durability")
    streamed = _Streamed(watch)
    command = run.sandbox.run(
        supervisor_argv(run_conf, kill_after, power_loss),
        timeout_s=timeout,
        on_stdout_line=streamed.take,
    )
    ended, stopped = await watched(command, watch)
    output = ModeOutput(
        run=ended, events=streamed.events, garbage=streamed.garbage, stopped=stopped
    )
    run.log("durability", output)
    gate = gate_from(output, "durability", timeout)
    if not power_loss or not gate.passed:
        return gate
    check = check_sync_before_ack("".join(streamed.trace), LAYOUT.store_data)
    failure = _sync_failure(check)
    if failure is None:
        gate.detail += f"; {check.covered} traced writes each synced before acknowledged"
        return gate
    return GateResult(name="durability", passed=False, detail=failure, seconds=gate.seconds)


def _sync_failure(check: SyncCheck) -> str | None:
    if check.acknowledged == 0:
        return (
            "no acknowledged write appears in the syscall trace (the writer's marker "
            "calls never reached the kernel under strace)"
        )
    if check.passed:
        return None
    return (
        f"acknowledged before sync: {check.uncovered_count} of {check.acknowledged} "
        f"traced writes were acknowledged with no fsync/fdatasync/msync of the data "
        f"directory in between (first: {', '.join(check.uncovered)}); power_loss needs "
        "every write synced before Upsert returns"
    )
