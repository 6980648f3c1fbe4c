"""What the engine does with each control, and the `control_received` event saying so."""

from __future__ import annotations

from jitskit_tui.engine.run_context import RunContext
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
)
from jitskit_tui.protocol.events import (
    ControlReceived,
    Delivery,
    ProposalDecided,
    SteeringCancelled,
    SteeringEdited,
    SteeringEditRefused,
    SteeringReceived,
)


def _where(run: RunContext) -> str:
    n = run.current_iteration
    return f"iteration {n}" if n is not None else "the current step"


def _when(at: Delivery) -> str:
    return (
        "the next iteration's plan" if at == "next-iteration" else "the agent's next tool boundary"
    )


def _edit_steering(run: RunContext, control: EditSteer) -> tuple[bool, str]:
    """Replaces pending steering's text, or refuses (with the new text in the refusal
    event, so it is not lost) when it was applied or cancelled first. Nothing awaits
    between the check and the event, so the loop cannot hand the old text over between."""
    sid = control.steering_id
    known = run.state.steering.get(sid)
    delivery = control.at or (known.delivery if known is not None else "next-iteration")
    if known is not None and known.state == "pending":
        run.emit(
            SteeringEdited(
                iteration=run.current_iteration,
                steering_id=sid,
                text=control.text,
                delivery=delivery,
                source=control.source,
            )
        )
        return True, f"steering {sid} edited; pending until {_when(delivery)}"
    run.emit(
        SteeringEditRefused(
            iteration=run.current_iteration,
            steering_id=sid,
            text=control.text,
            delivery=delivery,
            source=control.source,
            was=known.state if known is not None else "unknown",
            applied_to=known.applied_to if known is not None else None,
            applied_iteration=known.applied_iteration if known is not None else None,
        )
    )
    if known is None:
        why = f"no steering with id {sid}"
    elif known.state == "applied":
        to = f" to the {known.applied_to}" if known.applied_to else ""
        at = f" in iteration {known.applied_iteration}" if known.applied_iteration else ""
        why = f"steering {sid} was already applied{to}{at}"
    else:
        why = f"steering {sid} was already {known.state}"
    return False, f"{why}, so it was not edited; the new text was not sent: send it as new steering"


def _baselines(run: RunContext, control: RunBaselines, *, own_source: bool) -> str:
    again = run.baselines_requested
    run.request_baselines(control.refresh)
    n = run.current_iteration
    when = (
        f"once iteration {n} is committed, before the next one starts"
        if n is not None
        else "before the next iteration starts"
    )
    how = (
        "with the real baselines (this run was started without them)"
        if not own_source
        else "with the run's baseline source"
    )
    fresh = ", past their cache" if control.refresh else " (cached results are reused)"
    return (
        ("already queued: " if again else "")
        + f"the baselines are measured {when}, {how}{fresh}; later iterations' ratios, and "
        "every ratio shown, are then against the new best comparable baseline"
    )


def _confirm(run: RunContext) -> str:
    again = run.confirm_requested
    run.request_confirm()
    n = run.current_iteration
    when = (
        f"once iteration {n} is committed, before the next one starts"
        if n is not None
        else "before the next iteration starts"
    )
    return ("already queued: " if again else "") + (
        f"the headline is measured {when}: the best at the full size on a held-out trace, "
        "paired against the baselines"
    )


def handle(run: RunContext, control: Control, *, own_baselines: bool) -> ControlReceived:
    """Applies ``control`` and logs (and returns) what was done about it. ``own_baselines``:
    the run has a baseline source of its own (it was not started without baselines)."""
    accepted = True
    match control:
        case Pause():
            if run.paused:
                message = "already paused"
            else:
                run.pause()
                message = (
                    "pausing at the next step or tool boundary "
                    "(a benchmark in flight runs to its end)"
                )
        case Resume():
            if run.paused:
                run.unpause()
                message = "resumed"
            else:
                message = "not paused; nothing to do"
        case Stop():
            run.request_stop()
            message = f"stopping once {_where(run)} is committed"
        case Abort():
            run.request_abort()
            message = f"aborting {_where(run)} now ({run.state.loop_state}); work so far is kept"
        case Steer():
            run.emit(
                SteeringReceived(
                    iteration=run.current_iteration,
                    steering_id=control.id,
                    text=control.text,
                    delivery=control.at,
                    source=control.source,
                )
            )
            message = (
                f"steering {control.id} pending until {_when(control.at)}; "
                f"edit-steer {control.id} edits it, cancel-steer {control.id} withdraws it"
            )
        case CancelSteer():
            pending = run.state.steering.get(control.steering_id)
            if pending is None:
                accepted, message = False, f"no steering with id {control.steering_id}"
            elif pending.state != "pending":
                accepted = False
                where = f" to the {pending.applied_to}" if pending.applied_to else ""
                message = f"steering {control.steering_id} was already {pending.state}{where}"
            else:
                run.emit(
                    SteeringCancelled(
                        iteration=run.current_iteration,
                        steering_id=control.steering_id,
                        source=control.source,
                    )
                )
                message = f"steering {control.steering_id} cancelled"
        case EditSteer():
            accepted, message = _edit_steering(run, control)
        case Fork():
            target = run.state.iterations.get(control.from_iteration)
            if control.from_iteration != 0 and (target is None or target.state != "done"):
                accepted = False
                done = sorted(n for n, it in run.state.iterations.items() if it.state == "done")
                message = (
                    f"iteration {control.from_iteration} is not a committed iteration "
                    f"(committed: {', '.join(map(str, done)) or 'none yet'}; 0 is the start)"
                )
            else:
                run.request_fork(control.from_iteration)
                message = (
                    f"forking from iteration {control.from_iteration} on a new branch once "
                    f"{_where(run)} is committed"
                    if run.current_iteration is not None
                    else f"forking from iteration {control.from_iteration} on a new branch"
                )
        case Approve() | Reject():
            proposal = run.state.proposals.get(control.proposal_id)
            if proposal is None:
                accepted, message = (
                    False,
                    f"no harness-change proposal with id {control.proposal_id}",
                )
            elif proposal.decision is not None:
                accepted, message = (
                    False,
                    f"proposal {control.proposal_id} was already {proposal.decision}",
                )
            else:
                decision = "approved" if isinstance(control, Approve) else "rejected"
                run.emit(
                    ProposalDecided(
                        iteration=run.current_iteration,
                        proposal_id=control.proposal_id,
                        decision=decision,
                        source=control.source,
                    )
                )
                message = f"proposal {control.proposal_id} {decision}" + (
                    "; it is recorded for a maintainer to apply (the loop never changes the "
                    "harness by itself)"
                    if decision == "approved"
                    else ""
                )
        case AuditNow():
            run.request_audit()
            message = f"the auditor runs at the end of {_where(run)}"
        case RunBaselines():
            message = _baselines(run, control, own_source=own_baselines)
        case Confirm():
            message = _confirm(run)
    event = run.emit(
        ControlReceived(
            iteration=run.current_iteration,
            control_id=control.id,
            kind=control.kind,
            source=control.source,
            accepted=accepted,
            message=message,
        )
    )
    assert isinstance(event, ControlReceived)
    return event
