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


def _send(ws: Workspace, control: Control, if_refused: str = "") -> None:
    try:
        offset = ws.events.stat().st_size
        send_control(ws, control)
    except NotLive as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_NOT_LIVE) from None
    except OSError as exc:
        click.echo(f"jitskit: {ws.root}: cannot send the control: {exc}", err=True)
        raise SystemExit(EXIT_NOT_LIVE) from None
    ack = asyncio.run(wait_for_ack(ws, control.id, offset, ACK_TIMEOUT_S))
    if ack is None:
        click.echo(
            f"jitskit: {ws.name}: no answer from the engine within {ACK_TIMEOUT_S:.0f}s; the "
            f"control stays in {ws.control} and is taken when the engine gets to it",
            err=True,
        )
        raise SystemExit(EXIT_NO_ANSWER)
    if not ack.accepted:
        click.echo(f"{ws.name}: refused: {ack.message}", err=True)
        if if_refused:
            click.echo(if_refused, err=True)
        raise SystemExit(EXIT_REFUSED)
    click.echo(f"{ws.name}: {ack.message}")


@click.group("control", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_name", metavar="RUN")
@click.pass_context
def control(ctx: click.Context, run_name: str) -> None:
    """Control the live run RUN (a workspace path or name) from any terminal.

    Exit 0 when the engine took the control, 1 when it refused it, 3 when the run is not
    live, 4 when the engine did not answer.
    """
    try:
        ctx.obj = find_workspace(run_name)
    except WorkspaceError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None


@control.command("pause")
@click.pass_obj
def pause(ws: Workspace) -> None:
    """Pause at the next step or tool boundary."""
    _send(ws, Pause(source=_source()))


@control.command("resume")
@click.pass_obj
def resume(ws: Workspace) -> None:
    """Resume a paused run."""
    _send(ws, Resume(source=_source()))


@control.command("stop")
@click.pass_obj
def stop(ws: Workspace) -> None:
    """Stop once the current iteration is committed."""
    _send(ws, Stop(source=_source()))


@control.command("abort")
@click.pass_obj
def abort(ws: Workspace) -> None:
    """Cancel what is running now and end the run (work so far is kept)."""
    _send(ws, Abort(source=_source()))


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
def steer(ws: Workspace, text: str, at: str) -> None:
    """Guide the agent with TEXT (pending until applied: edit-steer ID edits it,
    cancel-steer ID withdraws it)."""
    _check_steering_text(text)
    delivery = "next-tool" if at == "next-tool" else "next-iteration"
    _send(ws, Steer(source=_source(), text=text, at=delivery))


@control.command("cancel-steer")
@click.argument("steering_id", metavar="ID")
@click.pass_obj
def cancel_steer(ws: Workspace, steering_id: str) -> None:
    """Withdraw pending steering ID."""
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
def edit_steer(ws: Workspace, steering_id: str, text: str, at: str | None) -> None:
    """Replace pending steering ID's text with TEXT, only if it is still pending.

    Refused (exit 1) when the agent got the old text first; nothing is sent then, and
    the command to send TEXT as new steering is printed."""
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
def fork(ws: Workspace, iteration: int) -> None:
    """Continue from ITERATION (0: the start) on a new branch, after the current one."""
    _send(ws, Fork(source=_source(), from_iteration=iteration))


@control.command("approve")
@click.argument("proposal_id", metavar="ID")
@click.pass_obj
def approve(ws: Workspace, proposal_id: str) -> None:
    """Approve harness-change proposal ID."""
    _send(ws, Approve(source=_source(), proposal_id=proposal_id))


@control.command("reject")
@click.argument("proposal_id", metavar="ID")
@click.pass_obj
def reject(ws: Workspace, proposal_id: str) -> None:
    """Reject harness-change proposal ID."""
    _send(ws, Reject(source=_source(), proposal_id=proposal_id))


@control.command("audit")
@click.pass_obj
def audit(ws: Workspace) -> None:
    """Run the auditor at the end of the current iteration."""
    _send(ws, AuditNow(source=_source()))


@control.command("baselines")
@click.option("--refresh", is_flag=True, help="Measure again even the cached baselines.")
@click.pass_obj
def baselines(ws: Workspace, refresh: bool) -> None:
    """Measure the baselines before the next iteration; later ratios are against them."""
    _send(ws, RunBaselines(source=_source(), refresh=refresh))


@control.command("confirm")
@click.pass_obj
def confirm(ws: Workspace) -> None:
    """Measure the headline (the best at the full size, paired) before the next iteration."""
    _send(ws, Confirm(source=_source()))
