"""`jitskit control RUN ...`: steer and control a live run from another terminal."""

from __future__ import annotations

import asyncio
import os
import shlex

import click

from jitskit_tui.engine.inbox import NotLive, send_control, wait_for_ack
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace
from jitskit_tui.protocol.controls import (
    Abort,
    Approve,
    AuditNow,
    CancelSteer,
    Confirm,
    Control,
    EditSteer,
    Fork,
    Pause,
    Reject,
    Resume,
    RunBaselines,
    Steer,
    Stop,
    steering_text_problem,
)
from jitskit_tui.sweep.control import SWEEP_CONTROLS, send_sweep_control, wait_for_sweep_ack
from jitskit_tui.sweep.folder import SweepFolder, sweep_named

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_LIVE = 3
EXIT_NO_ANSWER = 4
ACK_TIMEOUT_S = 10.0


def _source() -> str:
    return f"cli (pid {os.getpid()})"


def _check_steering_text(text: str) -> None:
    problem = steering_text_problem(text)
    if problem is not None:
        click.echo(f"jitskit: {problem}", err=True)
        raise SystemExit(EXIT_USAGE)


Target = Workspace | SweepFolder


def _run_only(target: Target, kind: str) -> Workspace:
    """The run ``target`` is; a sweep takes only pause, resume, stop and abort."""
    if isinstance(target, SweepFolder):
        click.echo(
            f"jitskit: {target.root} is a sweep, which takes {', '.join(SWEEP_CONTROLS)}; "
            f"send {kind} to one of its runs: `jitskit control {target.root}/RUN {kind} ...`",
            err=True,
        )
        raise SystemExit(EXIT_USAGE)
    return target


async def _deliver(target: Target, control: Control) -> tuple[bool, str] | None:
    """Sends ``control`` and waits for the answer: (accepted, message), or ``None`` when
    none came in time."""
    if isinstance(target, SweepFolder):
        offset = await asyncio.to_thread(send_sweep_control, target, control)
        swept = await wait_for_sweep_ack(target, control.id, offset, ACK_TIMEOUT_S)
        return None if swept is None else (swept.accepted, swept.message)
    offset = target.events.stat().st_size
    await asyncio.to_thread(send_control, target, control)
    ack = await wait_for_ack(target, control.id, offset, ACK_TIMEOUT_S)
    return None if ack is None else (ack.accepted, ack.message)


def _send(target: Target, control: Control, if_refused: str = "") -> None:
    sweep = isinstance(target, SweepFolder)
    name = f"sweep {target.name}" if sweep else target.name
    try:
        answer = asyncio.run(_deliver(target, control))
    except NotLive as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_NOT_LIVE) from None
    except OSError as exc:
        click.echo(f"jitskit: {target.root}: cannot send the control: {exc}", err=True)
        raise SystemExit(EXIT_NOT_LIVE) from None
    if answer is None:
        who = "the sweep" if sweep else "the engine"
        click.echo(
            f"jitskit: {name}: no answer from {who} within {ACK_TIMEOUT_S:.0f}s; the "
            f"control stays in {target.control} and is taken when {who} gets to it",
            err=True,
        )
        raise SystemExit(EXIT_NO_ANSWER)
    accepted, message = answer
    if not accepted:
        click.echo(f"{name}: refused: {message}", err=True)
        if if_refused:
            click.echo(if_refused, err=True)
        raise SystemExit(EXIT_REFUSED)
    click.echo(f"{name}: {message}")


@click.group("control", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_name", metavar="RUN")
@click.pass_context
def control(ctx: click.Context, run_name: str) -> None:
    """Control the live run RUN (a workspace path or name) from any terminal.

    RUN may be a sweep's folder: pause, resume, stop and abort then act on every run of
    the sweep (and hold back the runs not started yet).

    Exit 0 when the engine took the control, 1 when it refused it, 3 when the run is not
    live, 4 when the engine did not answer.
    """
    sweep = sweep_named(run_name)
    if sweep is not None:
        ctx.obj = sweep
        return
    try:
        ctx.obj = find_workspace(run_name)
    except WorkspaceError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None


@control.command("pause")
@click.pass_obj
def pause(target: Target) -> None:
    """Pause at the next step or tool boundary."""
    _send(target, Pause(source=_source()))


@control.command("resume")
@click.pass_obj
def resume(target: Target) -> None:
    """Resume a paused run."""
    _send(target, Resume(source=_source()))


@control.command("stop")
@click.pass_obj
def stop(target: Target) -> None:
    """Stop once the current iteration is committed."""
    _send(target, Stop(source=_source()))


@control.command("abort")
@click.pass_obj
def abort(target: Target) -> None:
    """Cancel what is running now and end the run (work so far is kept)."""
    _send(target, Abort(source=_source()))


@control.command("steer")
@click.argument("text")
@click.option(
    "--at",
    type=click.Choice(["next-iteration", "next-tool"]),
    default="next-iteration",
    show_default=True,
    help="Give it to the next iteration's planner, or to the agent at its next tool call.",
)
@click.pass_obj
def steer(target: Target, text: str, at: str) -> None:
    """Guide the agent with TEXT (pending until applied: edit-steer ID edits it,
    cancel-steer ID withdraws it)."""
    ws = _run_only(target, "steer")
    _check_steering_text(text)
    delivery = "next-tool" if at == "next-tool" else "next-iteration"
    _send(ws, Steer(source=_source(), text=text, at=delivery))


@control.command("cancel-steer")
@click.argument("steering_id", metavar="ID")
@click.pass_obj
def cancel_steer(target: Target, steering_id: str) -> None:
    """Withdraw pending steering ID."""
    ws = _run_only(target, "cancel-steer")
    _send(ws, CancelSteer(source=_source(), steering_id=steering_id))


@control.command("edit-steer")
@click.argument("steering_id", metavar="ID")
@click.argument("text")
@click.option(
    "--at",
    type=click.Choice(["next-iteration", "next-tool"]),
    help="Change when it applies (default: as it was sent).",
)
@click.pass_obj
def edit_steer(target: Target, steering_id: str, text: str, at: str | None) -> None:
    """Replace pending steering ID's text with TEXT, only if it is still pending.

    Refused (exit 1) when the agent got the old text first; nothing is sent then, and
    the command to send TEXT as new steering is printed."""
    ws = _run_only(target, "edit-steer")
    _check_steering_text(text)
    delivery = None if at is None else "next-tool" if at == "next-tool" else "next-iteration"
    again = f"jitskit control {shlex.quote(ws.ref)} steer {shlex.quote(text)}" + (
        f" --at {at}" if at else ""
    )
    _send(
        ws,
        EditSteer(source=_source(), steering_id=steering_id, text=text, at=delivery),
        if_refused=f"to send your text as new steering: {again}",
    )


@control.command("fork")
@click.argument("iteration", type=click.IntRange(0))
@click.pass_obj
def fork(target: Target, iteration: int) -> None:
    """Continue from ITERATION (0: the start) on a new branch, after the current one."""
    ws = _run_only(target, "fork")
    _send(ws, Fork(source=_source(), from_iteration=iteration))


@control.command("approve")
@click.argument("proposal_id", metavar="ID")
@click.pass_obj
def approve(target: Target, proposal_id: str) -> None:
    """Approve harness-change proposal ID."""
    ws = _run_only(target, "approve")
    _send(ws, Approve(source=_source(), proposal_id=proposal_id))


@control.command("reject")
@click.argument("proposal_id", metavar="ID")
@click.pass_obj
def reject(target: Target, proposal_id: str) -> None:
    """Reject harness-change proposal ID."""
    ws = _run_only(target, "reject")
    _send(ws, Reject(source=_source(), proposal_id=proposal_id))


@control.command("audit")
@click.pass_obj
def audit(target: Target) -> None:
    """Run the auditor at the end of the current iteration."""
    ws = _run_only(target, "audit")
    _send(ws, AuditNow(source=_source()))


@control.command("baselines")
@click.option("--refresh", is_flag=True, help="Measure again even the cached baselines.")
@click.pass_obj
def baselines(target: Target, refresh: bool) -> None:
    """Measure the baselines before the next iteration; later ratios are against them."""
    ws = _run_only(target, "baselines")
    _send(ws, RunBaselines(source=_source(), refresh=refresh))


@control.command("confirm")
@click.pass_obj
def confirm(ws: Workspace) -> None:
    """Measure the headline (the best at the full size, paired) before the next iteration."""
    _send(ws, Confirm(source=_source()))
