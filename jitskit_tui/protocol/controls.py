"""Controls: what a user asks a live run to do (pause, steer, fork, ...), as the types
every client sends and the engine answers with one `control_received` event.

How a control travels between processes (a file in the run's inbox) is the engine's
business: see :mod:`jitskit_tui.engine.inbox`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from jitskit_tui.protocol.events import Delivery


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(4)


class _Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default_factory=new_id)
    source: str = "api"
    """Who sent it: `cli (pid 123)`, `tui`, `api`."""


class Pause(_Control):
    """Pause at the next step or tool boundary (a benchmark in flight is not interrupted)."""

    kind: Literal["pause"] = "pause"


class Resume(_Control):
    kind: Literal["resume"] = "resume"


class Stop(_Control):
    """Stop once the current iteration is committed."""

    kind: Literal["stop"] = "stop"


class Abort(_Control):
    """Cancel the agent turn or evaluation in flight and end the run now."""

    kind: Literal["abort"] = "abort"


STEER_TEXT_MAX = 20_000
"""The longest steering text, in characters (it goes into every later prompt)."""


def steering_text_problem(text: str) -> str | None:
    """Why ``text`` cannot be sent as steering, or ``None`` when it can."""
    if not text.strip():
        return "the steering text is empty"
    if len(text) > STEER_TEXT_MAX:
        return (
            f"the steering text is {len(text):,} characters, over the {STEER_TEXT_MAX:,} "
            "allowed: shorten it, or point the agents at a file instead"
        )
    return None


class Steer(_Control):
    kind: Literal["steer"] = "steer"
    text: str = Field(min_length=1, max_length=STEER_TEXT_MAX)
    at: Delivery = "next-iteration"


class CancelSteer(_Control):
    kind: Literal["cancel-steer"] = "cancel-steer"
    steering_id: str


class EditSteer(_Control):
    """Replace pending steering's text in place, only while it is still pending.

    One control, handled between two engine steps, so an edit can never race the
    steering's delivery: either the agent gets the new text only, or the edit is refused
    with a `steering_edit_refused` event that carries the new text back."""

    kind: Literal["edit-steer"] = "edit-steer"
    steering_id: str
    text: str = Field(min_length=1, max_length=STEER_TEXT_MAX)
    at: Delivery | None = None
    """When it applies from now on; ``None`` keeps when it was to apply."""


class Fork(_Control):
    """Continue from iteration N's commit on a new branch, from the next iteration on."""

    kind: Literal["fork"] = "fork"
    from_iteration: int = Field(ge=0)


class Approve(_Control):
    kind: Literal["approve"] = "approve"
    proposal_id: str


class Reject(_Control):
    kind: Literal["reject"] = "reject"
    proposal_id: str


class AuditNow(_Control):
    """Run the auditor at the end of the current iteration."""

    kind: Literal["audit"] = "audit"


class RunBaselines(_Control):
    """Measure the comparable baselines before the next iteration starts (never during an
    evaluation); the ratio of later iterations, and every ratio a client shows, is then
    against the new best comparable baseline. Works on a run started without baselines."""

    kind: Literal["baselines"] = "baselines"
    refresh: bool = False
    """Measure again even the baselines cached for this spec and machine."""


class Confirm(_Control):
    """Measure the run's headline (its best at the full size on a held-out trace, paired
    against the baselines) before the next iteration starts."""

    kind: Literal["confirm"] = "confirm"


Control = Annotated[
    Pause
    | Resume
    | Stop
    | Abort
    | Steer
    | CancelSteer
    | EditSteer
    | Fork
    | Approve
    | Reject
    | AuditNow
    | RunBaselines
    | Confirm,
    Field(discriminator="kind"),
]
CONTROL_ADAPTER: TypeAdapter[Control] = TypeAdapter(Control)
