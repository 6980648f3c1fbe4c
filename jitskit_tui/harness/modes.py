"""Running the harness binary's modes in a sandbox and reading their JSON lines."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from jitskit_tui.harness.build import BINARY
from jitskit_tui.harness.watchdog import Stopped, Watchdog, watched
from jitskit_tui.protocol.results import BenchFigures, BenchTick, GateResult, ProgressTick
from jitskit_tui.sandbox.base import EvalSandbox, RunResult


@dataclass
class ModeOutput:
    """What one harness run printed, decoded."""

    run: RunResult
    events: list[dict[str, object]] = field(default_factory=list)
    garbage: int = 0
    """Lines on stdout that were not harness JSON (a store printing to stdout)."""
    stopped: Stopped | None = None
    """Why the watchdog stopped it (deadlocked, or slower than its budget allows)."""

    def last(self, kind: str) -> dict[str, object] | None:
        for event in reversed(self.events):
            if event.get("event") == kind:
                return event
        return None


def crash_reason(run: RunResult, timeout_s: float) -> str:
    """Why a harness run ended without its final line, in words a person can act on."""
    if run.oom_killed:
        return "killed by the out-of-memory killer at the spec's memory limit"
    if run.timed_out:
        return f"did not finish within {timeout_s:.0f}s (a deadlock or livelock in the store?)"
    if run.signal is not None:
        try:
            name = signal.Signals(run.signal).name
        except ValueError:
            name = f"signal {run.signal}"
        hint = {
            "SIGSEGV": " (invalid memory access in the store?)",
            "SIGABRT": " (an assertion or std::terminate in the store?)",
            "SIGBUS": " (a bad mmap access?)",
            "SIGFPE": " (division by zero?)",
        }.get(name, "")
        return f"crashed with {name}{hint}"
    tail = run.stderr.strip().splitlines()[-3:]
    return f"exited with status {run.exit_code}" + (f": {' / '.join(tail)}" if tail else "")


async def run_mode(
    sandbox: EvalSandbox,
    mode: str,
    config_path: str,
    *,
    timeout_s: float,
    extra: tuple[str, ...] = (),
    on_tick: Callable[[BenchTick], None] | None = None,
    on_progress: Callable[[ProgressTick], None] | None = None,
    prefix: tuple[str, ...] = (),
    take_line: Callable[[str], bool] | None = None,
    watch: Watchdog | None = None,
    binary: str = BINARY,
) -> ModeOutput:
    """Runs one mode of ``binary`` (the candidate's harness unless another side's) after
    ``prefix``, a tracer's command line; ``take_line`` is offered every line that is not
    JSON (the tracer's) and says whether it was its own, so only the rest count as stray
    output. ``watch`` reads its progress and stops it when it deadlocks or overruns its
    budget (``timeout_s`` is then only a backstop)."""
    events: list[dict[str, object]] = []
    garbage = 0

    def on_line(line: str) -> None:
        nonlocal garbage
        try:
            event = json.loads(line)
        except ValueError:
            if take_line is None or not take_line(line):
                garbage += 1
            return
        if not isinstance(event, dict) or "event" not in event:
            garbage += 1
            return
        if watch is not None and event["event"] in ("progress", "tick"):
            watch.on_event(event)
        if event["event"] == "progress":
            if on_progress is not None:
                on_progress(progress_from(event))
            return  # ten a second: the watchdog's, not the output's
        events.append(event)
        if event["event"] == "tick" and on_tick is not None:
            on_tick(tick_from(event))

    argv = [*prefix, binary, mode, "--config", config_path, *extra]
    command = sandbox.run(argv, timeout_s=timeout_s, on_stdout_line=on_line)
    run, stopped = await watched(command, watch)
    return ModeOutput(run=run, events=events, garbage=garbage, stopped=stopped)


def tick_from(event: dict[str, object]) -> BenchTick:
    per_op = event.get("per_op")
    return BenchTick(
        t_s=float(event.get("t_s", 0.0)),  # type: ignore[arg-type]
        ops=int(event.get("ops", 0)),  # type: ignore[call-overload]
        ops_s=float(event.get("ops_s", 0.0)),  # type: ignore[arg-type]
        per_op={str(k): int(v) for k, v in per_op.items()} if isinstance(per_op, dict) else {},
        cpu_s=float(event.get("cpu_s", 0.0)),  # type: ignore[arg-type]
        warm=bool(event.get("warm", False)),
    )


def progress_from(event: dict[str, object]) -> ProgressTick:
    return ProgressTick(
        phase=str(event.get("phase", "")),
        done=int(event.get("done", 0)),  # type: ignore[call-overload]
        total=int(event.get("total", 0)),  # type: ignore[call-overload]
        t_s=float(event.get("t_s", 0.0)),  # type: ignore[arg-type]
    )


EXIT_TAMPERED = 3


def tampered(output: ModeOutput) -> str | None:
    """The harness's reason when the store interfered with it (exit status 3)."""
    if output.run.exit_code != EXIT_TAMPERED:
        return None
    reason = output.run.stderr.strip().splitlines()[-1:] or ["no reason given"]
    return f"the store interfered with the harness: {reason[0]}"


def trusted(output: ModeOutput) -> bool:
    """Only a run that ended normally vouches for what it printed: a store that crashed
    or tampered with the harness may have left a forged verdict behind."""
    return output.run.exit_code == 0 and not output.run.timed_out and output.stopped is None


def ended_how(output: ModeOutput, timeout_s: float) -> str:
    """Why a harness run printed no verdict: the watchdog's reason (``phase: ...``), or
    how it ended (``crashed with SIGSEGV ...``)."""
    if output.stopped is not None:
        return f"was stopped: {output.stopped.detail}"
    return crash_reason(output.run, timeout_s)


def gate_from(output: ModeOutput, name: str, timeout_s: float) -> GateResult:
    """The gate verdict a gate mode printed, or a failure saying why it printed none."""
    event = output.last("gate") if trusted(output) else None
    reason = tampered(output)
    if reason is not None:
        return GateResult(name=name, passed=False, detail=reason)
    if event is None:
        return GateResult(
            name=name, passed=False, detail=f"the {name} gate {ended_how(output, timeout_s)}"
        )
    return GateResult(
        name=name,
        passed=bool(event.get("passed")),
        detail=str(event.get("detail", "")),
        seconds=output.run.wall_s,
    )


def figures_from(output: ModeOutput) -> BenchFigures | None:
    event = output.last("result") if trusted(output) else None
    if event is None:
        return None
    return BenchFigures.model_validate(event)
