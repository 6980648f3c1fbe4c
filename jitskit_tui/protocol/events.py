"""The loop's typed events: one pydantic model per kind, a union discriminated on `type`.

The engine appends them to the run's `events.jsonl` (see :mod:`jitskit_tui.engine.eventlog`)
with a sequence number and a timestamp; clients (the TUI, the headless CLI, `jitskit runs`)
render and fold them. A finished run is replayed from the same file, and a crashed one
resumes from it, so everything a client shows must be derivable from these events.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter

from jitskit_tui.protocol.headline import Headline
from jitskit_tui.protocol.measurement import Comparison, Interval
from jitskit_tui.protocol.results import OpStats, PhaseProgress

Role = Literal["planner", "coder", "critic", "auditor"]
ROLES: tuple[Role, ...] = ("planner", "coder", "critic", "auditor")
Delivery = Literal["next-iteration", "next-tool"]
LoopState = Literal[
    "starting",
    "baselines",
    "planning",
    "coding",
    "building",
    "gating",
    "benchmarking",
    "queued",
    "critiquing",
    "auditing",
    "committing",
    "paused",
    "stopped",
]
RunStatus = Literal["finished", "stopped", "aborted", "failed"]
"""How an engine's stint on a run ended: budget used up, stopped by the user, aborted,
or a fatal error."""
IterationOutcome = Literal["evaluated", "agent-error", "eval-error"]
"""`eval-error`: the evaluator itself failed (a bug, not the store's doing)."""
EvalPurpose = Literal["iteration", "tool", "baseline", "headline"]
"""`iteration`: the loop's own evaluation; `tool`: the coder's build-and-test tool;
`baseline`: measuring an off-the-shelf store for the ratio; `headline`: the best measured
at the full size for the run's reported result."""
Decision = Literal["best", "within-noise", "slower", "first", "failed", ""]
"""What an iteration's evaluation decided about the best: `first` (no best before it, it
counts), `best` (the paired ratio to the best has ci_low >= 1 + min_effect), `slower`
(ci_high < 1), `within-noise` (neither), `failed` (it does not count); empty in logs
written before decisions."""


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    seq: int = 0
    """Position in the run's log, from 1; 0 until the log stamps it."""
    ts: float = 0.0
    """Seconds since the epoch (UTC) when it was logged."""
    iteration: int | None = None
    """The iteration it belongs to, when it belongs to one."""


# -- the run ---------------------------------------------------------------------------


class RunStarted(_Event):
    type: Literal["run_started"] = "run_started"
    run_id: str
    spec_name: str
    spec_sha256: str
    agent: str
    agent_options: dict[str, str] = Field(default_factory=dict)
    """How the agent was made (the scripted agent's pace and trajectory), for resume."""
    machine: str
    iterations: int
    """The iteration budget."""
    workspace: str
    pid: int
    naive: bool = False
    """The naive experiment: one agent session, a benchmark tool that reports throughput
    only, and the gates judging each benchmarked store after the fact."""
    allow_smaller_machine: bool = False
    """Evaluations run even on a machine smaller than the card, their figures marked."""


class RunResumed(_Event):
    type: Literal["run_resumed"] = "run_resumed"
    agent: str
    agent_options: dict[str, str] = Field(default_factory=dict)
    machine: str
    iterations: int
    completed: int
    """Iterations complete before this stint."""
    redo_iteration: int | None = None
    """The iteration interrupted half-way, redone from its start."""
    pid: int
    naive: bool = False
    allow_smaller_machine: bool = False


class RunFinished(_Event):
    type: Literal["run_finished"] = "run_finished"
    status: RunStatus
    reason: str
    """Why it ended, in words: "budget used up (6 of 6 iterations)", "stopped by the user"."""
    completed: int
    best_iteration: int | None = None
    best_ops_s: float | None = None
    headline: str = ""
    """The run's headline in words (`2.21x [2.05-2.38] vs tbb-chm`), or why it has none
    (empty in logs written before headlines)."""


class LoopStateChanged(_Event):
    type: Literal["loop_state"] = "loop_state"
    state: LoopState
    detail: str = ""


# -- iterations ------------------------------------------------------------------------


class IterationStarted(_Event):
    type: Literal["iteration_started"] = "iteration_started"
    parent_iteration: int
    """The iteration whose commit this one builds on (0: the run's initial commit)."""
    step: int
    """Position along the branch: the parent's step + 1."""
    branch: str


class IterationFinished(_Event):
    type: Literal["iteration_finished"] = "iteration_finished"
    outcome: IterationOutcome
    summary: str
    verdict: Literal["pass", "fail"]
    throughput_ops_s: float
    ratio: float | None = None
    """Throughput over the best comparable baseline's; ``None`` when that is unknown."""
    failed_gates: list[str] = Field(default_factory=list)
    commit: str
    branch: str
    parent_iteration: int
    claimed_ops_s: float | None = None
    """The naive experiment: the throughput the agent was told by its benchmark tool (what
    it believed), beside what the gates found."""
    is_best: bool = False
    recovered: bool = False
    """Rebuilt from its commit on resume: the process died after committing."""
    decision: Decision = ""
    """What its evaluation decided about the best (see :data:`Decision`)."""
    incumbent_iteration: int | None = None
    """The best it was measured against (``vs_best``); ``None`` when there was none."""
    vs_best: Comparison | None = None
    """Its paired comparison with the incumbent best, measured in its evaluation."""
    vs_baseline: Comparison | None = None
    """Its comparison with the best comparable baseline: paired in its evaluation, or
    (``paired`` false, no interval) against the run's cached figure when no baseline was
    measured beside it. ``ratio`` is its point."""
    ratio_ci_low: float | None = None
    ratio_ci_high: float | None = None
    """``vs_baseline``'s interval, flat for readers that only want the numbers."""


class IterationAbandoned(_Event):
    type: Literal["iteration_abandoned"] = "iteration_abandoned"
    reason: str
    kept_ref: str | None = None
    """A git ref holding the half-done work, when there was any."""


class CommitMade(_Event):
    type: Literal["commit_made"] = "commit_made"
    sha: str
    branch: str
    message: str
    """The first line of the commit message."""


class BestMoved(_Event):
    type: Literal["best_moved"] = "best_moved"
    sha: str
    throughput_ops_s: float
    previous_iteration: int | None = None
    previous_ops_s: float | None = None
    evidence: Comparison | None = None
    """The paired comparison with the previous best that cleared 1 + min_effect; ``None``
    for the first iteration that counts (and in logs written before decisions)."""
    reason: str = ""
    """Why it moved, in words."""


class BestFellBack(_Event):
    """An audit test at gate severity failed the best: the best went back to the most
    recent earlier best that still passes the suite's gate tests (or to none)."""

    type: Literal["best_fell_back"] = "best_fell_back"
    from_iteration: int
    to_iteration: int | None = None
    """``None`` when no earlier best passes: the run has no best until one counts."""
    sha: str | None = None
    """The commit `best` now points at."""
    throughput_ops_s: float | None = None
    """The new best's throughput as committed."""
    reason: str
    """The audit test that failed, and what it saw."""
    skipped: list[int] = Field(default_factory=list)
    """Earlier bests that failed the suite's gate tests too."""


class BranchForked(_Event):
    type: Literal["branch_forked"] = "branch_forked"
    from_iteration: int
    branch: str
    sha: str


# -- agents ----------------------------------------------------------------------------


class AgentTurnStarted(_Event):
    type: Literal["agent_turn_started"] = "agent_turn_started"
    role: Role
    agent: str


class AgentTurnFinished(_Event):
    type: Literal["agent_turn_finished"] = "agent_turn_finished"
    role: Role
    ok: bool
    output: str = ""
    """The turn's result: the plan, the coder's summary, the critique, the audit report."""
    title: str = ""
    """One line: the plan's title, the coder's summary."""
    error: str = ""


class AgentText(_Event):
    type: Literal["agent_text"] = "agent_text"
    role: Role
    text: str
    """A delta: append it to the role's current message."""


class AgentThinking(_Event):
    type: Literal["agent_thinking"] = "agent_thinking"
    role: Role
    text: str


class ToolCallForming(_Event):
    """A tool call the model is still writing (its input streams in), so a client can show
    it before it runs. Throttled: a few a second, or one per ~2 KiB of input; the call's
    `tool_call_started` (same ``call_id``) replaces it, and none follows that."""

    type: Literal["tool_call_forming"] = "tool_call_forming"
    call_id: str
    role: Role
    name: str
    input_delta: str = ""
    """The input JSON written since the previous `tool_call_forming` of this call (append
    them in order for the partial input so far; the log stays linear in the input)."""
    input_chars: int = 0
    """Characters of input JSON so far."""


class ContextCompacted(_Event):
    """A role's conversation neared its model's context window and was made smaller."""

    type: Literal["context_compacted"] = "context_compacted"
    role: Role
    how: Literal["summary", "clipped"]
    """`summary`: older turns were folded into a summary; `clipped`: too few turns to fold,
    so long old tool inputs and results were cut instead."""
    turns_folded: int = 0
    """Model turns folded into the summary."""
    tokens_before: int
    """Estimated tokens of the next request before and after."""
    tokens_after: int


class ToolCallStarted(_Event):
    type: Literal["tool_call_started"] = "tool_call_started"
    call_id: str
    role: Role
    name: str
    input: dict[str, JsonValue]


class ToolCallFinished(_Event):
    type: Literal["tool_call_finished"] = "tool_call_finished"
    call_id: str
    role: Role
    name: str
    ok: bool
    output: str = ""
    """The result shown to the agent (long outputs are cut in the log)."""
    error: str = ""


class CostUpdate(_Event):
    type: Literal["cost_update"] = "cost_update"
    role: Role
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    dollars: float = 0.0
    """This update's cost; totals are folded by clients (see `RunState`)."""
    estimated: bool = False
    """The dollars are an estimate at API prices (a subscription is not billed per
    token); shown as such."""


class ProposalMade(_Event):
    type: Literal["proposal_made"] = "proposal_made"
    proposal_id: str
    role: Role
    title: str
    rationale: str
    diff: str = ""


class ProposalDecided(_Event):
    type: Literal["proposal_decided"] = "proposal_decided"
    proposal_id: str
    decision: Literal["approved", "rejected"]
    source: str


class AuditTestAdded(_Event):
    type: Literal["audit_test_added"] = "audit_test_added"
    test_id: str
    severity: Literal["log", "gate"]
    invariant: str
    file: str


class AuditTestEscalated(_Event):
    """A `log` audit test failed in two iterations in a row: from now on it is a gate."""

    type: Literal["audit_test_escalated"] = "audit_test_escalated"
    test_id: str
    reason: str


# -- control and steering --------------------------------------------------------------


class SteeringReceived(_Event):
    type: Literal["steering_received"] = "steering_received"
    steering_id: str
    text: str
    delivery: Delivery
    source: str


class SteeringApplied(_Event):
    type: Literal["steering_applied"] = "steering_applied"
    steering_id: str
    role: Role
    delivery: Delivery


class SteeringCancelled(_Event):
    type: Literal["steering_cancelled"] = "steering_cancelled"
    steering_id: str
    source: str


class SteeringEdited(_Event):
    """Pending steering's text (and when it applies) replaced in place, before it applied."""

    type: Literal["steering_edited"] = "steering_edited"
    steering_id: str
    text: str
    delivery: Delivery
    source: str


class SteeringEditRefused(_Event):
    """An edit that came too late: the steering was applied (or cancelled) first. It carries
    the text the user wrote, so nothing they typed is lost: a client offers it back."""

    type: Literal["steering_edit_refused"] = "steering_edit_refused"
    steering_id: str
    text: str
    delivery: Delivery
    source: str
    was: Literal["applied", "cancelled", "unknown"]
    applied_to: Role | None = None
    applied_iteration: int | None = None


class ControlReceived(_Event):
    type: Literal["control_received"] = "control_received"
    control_id: str
    kind: str
    source: str
    accepted: bool
    message: str
    """What the engine does about it, or why it refused."""


# -- evaluation ------------------------------------------------------------------------


class EvalStarted(_Event):
    type: Literal["eval_started"] = "eval_started"
    purpose: EvalPurpose
    name: str = "candidate"
    """What is evaluated: `candidate`, or a baseline's name."""
    size: Literal["quick", "full"]
    machine: str


class EvalQueued(_Event):
    """An evaluation waits for its machine (an allocation in a Slurm queue, or its turn on a
    machine a sweep's runs share), or, with ``waiting`` false, stopped waiting: it has the
    machine now, or gave up. Logged when the wait starts and each time its place changes."""

    type: Literal["eval_queued"] = "eval_queued"
    machine: str
    where: str
    """The partition, or the machine's label."""
    ahead: int | None = None
    """Jobs the scheduler considers first; ``None`` when unknown."""
    reason: str = ""
    """Slurm's reason (``Resources``, ``Priority``), or words."""
    job_id: str = ""
    text: str = ""
    """In words: ``queued on bench, 3 jobs ahead (waiting for a free node)``."""
    waiting: bool = True
    waited_s: float = 0.0
    """With ``waiting`` false: how long it waited."""


class EvalStep(_Event):
    type: Literal["eval_step"] = "eval_step"
    purpose: EvalPurpose
    step: str
    """`build`, `integrity`, `api`, `concurrency`, `durability`, `benchmark`, `memory`,
    `audit`."""


class EvalBudgetAnnounced(_Event):
    """An evaluation's phase budgets and overall bound, as it starts (before the build)."""

    type: Literal["eval_budget"] = "eval_budget"
    purpose: EvalPurpose
    name: str = "candidate"
    phases: dict[str, float] = Field(default_factory=dict)
    """Seconds by phase, in the order they run."""
    overall_s: float
    rate: float = 0.0
    """The floor the work was reckoned at (operations per second)."""
    floor_rate: float = 0.0
    """The card's `loop.floor_rate`; less than ``rate`` when the cap raised it."""
    note: str = ""


class EvalProgress(_Event):
    """How far a phase got against its budget (throttled to a few a second)."""

    type: Literal["eval_progress"] = "eval_progress"
    purpose: EvalPurpose
    phase: str
    done: int
    total: int = 0
    """0 when the phase's work is not known in advance."""
    unit: str = ""
    rate: float = 0.0
    """``done`` per second since the phase began."""
    budget_s: float = 0.0
    elapsed_s: float = 0.0

    def progress(self) -> PhaseProgress:
        """The figures again, for their words (:meth:`PhaseProgress.text`)."""
        return PhaseProgress(
            self.phase,
            self.done,
            self.total,
            self.unit,
            self.rate,
            self.elapsed_s,
            self.budget_s,
        )


class GateResulted(_Event):
    type: Literal["gate_result"] = "gate_result"
    purpose: EvalPurpose
    name: str
    passed: bool
    detail: str = ""
    severity: Literal["gate", "log"] = "gate"
    seconds: float = 0.0


class BenchTickEvent(_Event):
    type: Literal["bench_tick"] = "bench_tick"
    purpose: EvalPurpose
    t_s: float
    ops: int
    ops_s: float
    per_op: dict[str, int] = Field(default_factory=dict)
    side: str = "candidate"
    """Whose trial: `candidate`, `incumbent`, `baseline:NAME` (logs before trials: the
    one benchmark run, the candidate's)."""
    trial: int | None = None
    """The trial's round, from 0; ``None`` in logs written before trials."""
    warm: bool = False
    """Still in the warm-up that is cut from the trial's figures."""


class TrialFinished(_Event):
    """One trial of one side ended: its steady figures (the live chart's boundaries)."""

    type: Literal["trial_finished"] = "trial_finished"
    purpose: EvalPurpose
    side: str = "candidate"
    trial: int
    throughput_ops_s: float
    cpu_ns_per_op: float | None = None
    warmup_s: float = 0.0
    """Where its warm-up was cut, seconds into the trial."""
    unsteady: bool = False


class BenchResult(_Event):
    type: Literal["bench_result"] = "bench_result"
    purpose: EvalPurpose
    verdict: Literal["pass", "fail"]
    throughput_ops_s: float
    ratio: float | None = None
    baseline: str | None = None
    """The baseline compared against; for purpose `baseline`, the one measured."""
    baseline_ops_s: float | None = None
    failed_gates: list[str] = Field(default_factory=list)
    ops: dict[str, OpStats] = Field(default_factory=dict)
    memory_peak_bytes: int = 0
    memory_budget_bytes: int = 0
    machine: str = ""
    """Where it was measured: `local: AMD EPYC, 2 CPUs`."""
    warnings: list[str] = Field(default_factory=list)
    throughput: Interval | None = None
    """The throughput over the trials with its interval (`None` in logs before trials)."""
    comparisons: list[Comparison] = Field(default_factory=list)
    """Paired against the peers measured in the same evaluation."""
    trials: int = 0
    """The candidate's trials (0 in logs before trials: one run)."""
    conditions_warning: str = ""
    """Set when the machine was busy during the trials."""
    floor_ns_per_op: float | None = None
    """The driver's own cost per operation per thread on the machine."""
    smaller_machine: str = ""
    """Empty, or `measured on a smaller machine than the card: ...` (every figure here)."""


class BaselineKnown(_Event):
    type: Literal["baseline"] = "baseline"
    name: str | None
    ops_s: float | None
    machine: str
    detail: str = ""
    """Why it is unknown, when it is."""
    paired: list[str] | None = None
    """The baselines every later evaluation measures beside the candidate: the best
    comparable one and each whose interval overlaps it (``None`` in logs written before
    pairing: then the best comparable one)."""
    figures: dict[str, float] | None = None
    """Each passing comparable baseline's figure from this measurement (ops/s; cached
    ones measured alone, at another time): what the headline picks its pairs from
    (``None`` in logs before pairing: then the best comparable one's)."""


class HeadlineMeasured(Headline, _Event):
    """The best measured at the full size on a held-out trace, paired against the
    baselines: the run's reported result (also in `results/headline.json`)."""

    type: Literal["headline_measured"] = "headline_measured"
    commit: str = ""
    """The commit on the `best` branch that holds `results/headline.json`."""
    text: str = ""
    """The headline in words: `2.21x [2.05-2.38] vs tbb-chm`."""


# -- problems --------------------------------------------------------------------------


class ErrorRaised(_Event):
    type: Literal["error"] = "error"
    where: str
    """What was going on: `iteration 3: coder`, `control file x.json`, `git commit`."""
    message: str
    next_step: str = ""
    fatal: bool = False


class RetryScheduled(_Event):
    type: Literal["retry"] = "retry"
    where: str
    attempt: int
    delay_s: float
    reason: str


class LogCorrupt(_Event):
    """Not written by the engine: a reader's notice for a line it could not decode."""

    type: Literal["log_corrupt"] = "log_corrupt"
    line: int
    excerpt: str
    reason: str


Event = Annotated[
    RunStarted
    | RunResumed
    | RunFinished
    | LoopStateChanged
    | IterationStarted
    | IterationFinished
    | IterationAbandoned
    | CommitMade
    | BestMoved
    | BestFellBack
    | BranchForked
    | AgentTurnStarted
    | AgentTurnFinished
    | AgentText
    | AgentThinking
    | ToolCallForming
    | ToolCallStarted
    | ToolCallFinished
    | CostUpdate
    | ContextCompacted
    | ProposalMade
    | ProposalDecided
    | AuditTestAdded
    | AuditTestEscalated
    | SteeringReceived
    | SteeringApplied
    | SteeringCancelled
    | SteeringEdited
    | SteeringEditRefused
    | ControlReceived
    | EvalStarted
    | EvalQueued
    | EvalStep
    | EvalBudgetAnnounced
    | EvalProgress
    | GateResulted
    | BenchTickEvent
    | TrialFinished
    | BenchResult
    | BaselineKnown
    | HeadlineMeasured
    | ErrorRaised
    | RetryScheduled
    | LogCorrupt,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(line: str | bytes) -> Event:
    """One log line -> its event; raises ``pydantic.ValidationError`` when it is not one."""
    return EVENT_ADAPTER.validate_json(line)


def dump_event(event: Event) -> str:
    """The event as one JSON line (without the newline)."""
    return event.model_dump_json()
