"""The transcript as blocks: what the agents said, the tools they called, the steering
they were handed, and the problems on the way.

Events fold into a bounded list of blocks. A text delta grows the role's open block
instead of making a new one, so a fast stream costs one string append per delta; the
view re-wraps only the blocks whose ``version`` moved. A tool call the model is still
writing is a *forming* tool block that grows the same way; its `tool_call_started`
turns it into the finished call in place (one that never starts is marked "not run").
The oldest blocks are dropped past ``MAX_BLOCKS`` (the whole transcript stays in the
run's event log). The block itself is in :mod:`blocks`; how a tool call's input reads, as
it forms and once it starts, in :mod:`tool_text`.
"""

from __future__ import annotations

from typing import Literal

from jitskit_tui.protocol.events import (
    AgentText,
    AgentThinking,
    AgentTurnFinished,
    AgentTurnStarted,
    BranchForked,
    ContextCompacted,
    ControlReceived,
    ErrorRaised,
    EvalQueued,
    Event,
    IterationAbandoned,
    IterationStarted,
    LogCorrupt,
    ProposalMade,
    RetryScheduled,
    Role,
    RunFinished,
    RunResumed,
    RunStarted,
    SteeringApplied,
    SteeringCancelled,
    SteeringEdited,
    SteeringEditRefused,
    SteeringReceived,
    ToolCallFinished,
    ToolCallForming,
    ToolCallStarted,
)
from jitskit_tui.protocol.texts import one_line, queue_text
from jitskit_tui.tui.run.blocks import Block, BlockKind
from jitskit_tui.tui.run.formatting import delivery_text
from jitskit_tui.tui.run.measurement_notes import measurement_notes
from jitskit_tui.tui.run.tool_text import (
    cut_tool_text,
    forming_detail,
    partial_input,
    tool_input_text,
    tool_target,
)

MAX_BLOCKS = 4000
TEXT_BLOCK_CHARS = 1500
"""Past this, a role's text goes on in a new block at the next line break, so a long
stream re-wraps a short block, not the whole turn."""


class Transcript:
    """The blocks, oldest first, with an absolute index that survives trimming."""

    def __init__(self, max_blocks: int = MAX_BLOCKS) -> None:
        self.blocks: list[Block] = []
        self.dropped = 0
        """Blocks dropped from the front; block ``i`` here is number ``dropped + i``."""
        self.max_blocks = max_blocks
        self.version = 0
        self._tools: dict[str, Block] = {}
        self._forming: dict[str, Block] = {}
        """Tool calls being written, in the order they began."""

    def __len__(self) -> int:
        return len(self.blocks)

    def _add(self, block: Block) -> Block:
        self.blocks.append(block)
        if len(self.blocks) > self.max_blocks:
            cut = len(self.blocks) - self.max_blocks
            for gone in self.blocks[:cut]:
                if gone.kind == "tool":
                    self._tools = {k: b for k, b in self._tools.items() if b is not gone}
                    self._forming = {k: b for k, b in self._forming.items() if b is not gone}
            del self.blocks[:cut]
            self.dropped += cut
        self.version += 1
        return block

    def _note(self, title: str, event: Event, severity: str = "info") -> None:
        block = Block("note", title=title, iteration=event.iteration)
        block.severity = "warning" if severity == "warning" else "info"
        self._add(block)

    def _text(self, role: Role, iteration: int | None, delta: str, kind: BlockKind) -> None:
        last = self.blocks[-1] if self.blocks else None
        if last is None or last.kind != kind or last.role != role:
            self._open_text(role, iteration, delta, kind)
            return
        if last.size > TEXT_BLOCK_CHARS:
            # Go on in a new block at a line break (or, for a stream without one, at a
            # word break far enough on): the view re-wraps only the short new block.
            cut = delta.rfind("\n")
            if last.ends_line or cut >= 0:
                if cut >= 0 and not last.ends_line:
                    last.append(delta[: cut + 1])
                    delta = delta[cut + 1 :]
                self.version += 1
                if delta:
                    self._open_text(role, iteration, delta, kind)
                return
            if last.size > 4 * TEXT_BLOCK_CHARS and delta[:1].isspace():
                self._open_text(role, iteration, delta.lstrip(), kind)
                return
        last.append(delta)
        self.version += 1

    def _open_text(self, role: Role, iteration: int | None, delta: str, kind: BlockKind) -> None:
        block = Block(kind, role=role, iteration=iteration, collapsed=kind == "thinking")
        block.append(delta)
        self._add(block)

    def apply(self, event: Event) -> None:
        n = event.iteration
        match event:
            case RunStarted():
                self._note(
                    f"run {event.run_id} started: {event.agent} agent, {event.iterations} "
                    f"iterations, machine {event.machine}",
                    event,
                )
            case RunResumed():
                redo = f"; redoing iteration {event.redo_iteration}" if event.redo_iteration else ""
                self._note(
                    f"resumed with {event.completed} of {event.iterations} iterations done{redo}",
                    event,
                )
            case IterationStarted():
                origin = (
                    f"from iteration {event.parent_iteration}"
                    if event.parent_iteration
                    else "from the start"
                )
                self._add(
                    Block(
                        "divider", title=f"iteration {n} · {origin} · {event.branch}", iteration=n
                    )
                )
            case AgentTurnStarted():
                self._add(Block("turn", title=event.role, role=event.role, iteration=n))
            case AgentText():
                self._text(event.role, n, event.text, "text")
            case AgentThinking():
                self._text(event.role, n, event.text, "thinking")
            case ToolCallForming():
                self._tool_forming(event)
            case ToolCallStarted():
                target = tool_target(event.input)
                title = f"{event.name} {target}".strip()
                detail = tool_input_text(event.name, event.input)
                block = self._take_forming(event.call_id, event.role)
                if block is None:
                    block = self._add(Block("tool", role=event.role, iteration=n, collapsed=True))
                block.title, block.detail = title, detail
                block.version += 1
                self.version += 1
                self._tools[event.call_id] = block
            case ToolCallFinished():
                found = self._tools.pop(event.call_id, None)
                if found is None:
                    found = self._add(
                        Block(
                            "tool", title=event.name, role=event.role, iteration=n, collapsed=True
                        )
                    )
                found.ok = event.ok
                result = event.output if event.ok else event.error
                found.detail = (found.detail + "\n── result ──\n" + cut_tool_text(result)).strip(
                    "\n"
                )
                found.version += 1
                self.version += 1
            case AgentTurnFinished():
                for call_id in [k for k, b in self._forming.items() if b.role == event.role]:
                    self._not_run(call_id)
                if not event.ok and event.error and event.error != "cancelled":
                    self._add(
                        Block(
                            "error",
                            title=f"the {event.role} failed: {one_line(event.error, 400)}",
                            role=event.role,
                            iteration=n,
                            severity="error",
                        )
                    )
            case SteeringReceived():
                self._add(
                    Block(
                        "steering",
                        title=f"steering {event.steering_id} pending "
                        f"({delivery_text(event.delivery)}) from {event.source}: "
                        f"“{one_line(event.text, 600)}”",
                        iteration=n,
                    )
                )
            case SteeringApplied():
                self._add(
                    Block(
                        "steering",
                        title=f"steering {event.steering_id} handed to the {event.role} "
                        f"({event.delivery})",
                        role=event.role,
                        iteration=n,
                        severity="warning",
                    )
                )
            case SteeringCancelled():
                self._note(f"steering {event.steering_id} cancelled by {event.source}", event)
            case SteeringEdited():
                self._add(
                    Block(
                        "steering",
                        title=f"steering {event.steering_id} edited by {event.source}, "
                        f"pending ({delivery_text(event.delivery)}): “{one_line(event.text, 600)}”",
                        iteration=n,
                    )
                )
            case SteeringEditRefused():
                self._add(
                    Block(
                        "steering",
                        title=f"edit of steering {event.steering_id} came too late "
                        f"(it was {event.was}); not sent: “{one_line(event.text, 600)}”",
                        iteration=n,
                        severity="warning",
                    )
                )
            case ErrorRaised():
                step = f" — {event.next_step}" if event.next_step else ""
                kind = "error" if event.fatal else "problem"
                self._add(
                    Block(
                        "error",
                        title=f"{kind} in {event.where}: {event.message}{step}",
                        iteration=n,
                        severity="error" if event.fatal else "warning",
                    )
                )
            case ContextCompacted():
                how = (
                    f"{event.turns_folded} older turns folded into a summary"
                    if event.how == "summary"
                    else "long old tool inputs and results cut"
                )
                self._note(
                    f"{event.role}'s context compacted: {how} (~{event.tokens_before:,} → "
                    f"~{event.tokens_after:,} tokens)",
                    event,
                )
            case RetryScheduled():
                self._add(
                    Block(
                        "retry",
                        title=f"retry {event.attempt} in {event.delay_s:.1f}s ({event.where}): "
                        f"{one_line(event.reason, 300)}",
                        iteration=n,
                        severity="warning",
                    )
                )
            case EvalQueued():
                self._note(queue_text(event), event)
            case BranchForked():
                self._note(
                    f"forked from iteration {event.from_iteration}: now on {event.branch}", event
                )
            case IterationAbandoned():
                self._note(f"iteration {n} abandoned: {event.reason}", event, "warning")
            case ProposalMade():
                self._note(
                    f"harness-change proposal {event.proposal_id}: {event.title} "
                    "(approve or reject it in Gates & audit)",
                    event,
                    "warning",
                )
            case ControlReceived():
                if event.accepted and event.kind in ("steer", "cancel-steer"):
                    return  # the steering events that follow say it better
                refused = "" if event.accepted else "refused: "
                self._note(
                    f"{event.kind} from {event.source}: {refused}{event.message}",
                    event,
                    "info" if event.accepted else "warning",
                )
            case RunFinished():
                self._note(f"run {event.status}: {event.reason}", event)
            case LogCorrupt():
                self._note(
                    f"event log line {event.line} unreadable ({event.reason}): "
                    f"{one_line(event.excerpt, 80)}",
                    event,
                    "warning",
                )
            case _:
                for text, severity in measurement_notes(event):
                    self._note(text, event, severity)

    def _tool_forming(self, event: ToolCallForming) -> None:
        block = self._forming.get(event.call_id)
        if block is None:
            block = self._add(
                Block("tool", title=event.name, role=event.role, iteration=event.iteration)
            )
            block.collapsed, block.forming = True, True
            self._forming[event.call_id] = block
        if event.input_delta:
            block.append(event.input_delta)
            if block.title == event.name and block.size < 4096:
                target = tool_target(partial_input(block.text, complete=True))
                if target:
                    block.title = f"{event.name} {target}"
        block.version += 1
        self.version += 1

    def _take_forming(self, call_id: str, role: Role) -> Block | None:
        """The forming block of the call that starts now, back to a plain tool block.
        The role's calls formed before it that have not started never will: the model's
        calls run in order, so those were cut off or malformed."""
        if call_id not in self._forming:
            return None
        for earlier in list(self._forming):
            if earlier == call_id:
                break
            if self._forming[earlier].role == role:
                self._not_run(earlier)
        block = self._forming.pop(call_id)
        block.forming = False
        block.clear_text()
        return block

    def _not_run(self, call_id: str) -> None:
        block = self._forming.pop(call_id)
        block.detail = forming_detail(block)
        block.forming, block.ok = False, False
        block.title = f"{block.title} · not run (the call was cut off or malformed)"
        block.clear_text()
        block.version += 1
        self.version += 1

    def notice(self, text: str, severity: Literal["info", "warning", "error"] = "info") -> None:
        """A line from the app itself (a deleted workspace, a control that failed)."""
        self._add(Block("error" if severity == "error" else "note", title=text, severity=severity))
