"""A run's state folded from its events: what the TUI shows, what `jitskit runs` lists,
and what the engine recovers when it resumes.

`RunState.apply` takes events in log order; replaying a whole log or following a live one
gives the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from jitskit_tui.engine.state_views import (
    BestMove,
    CostTotals,
    FallBack,
    IterationView,
    ProposalView,
    ShownRatio,
    SteeringView,
    Stint,
)
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    BaselineKnown,
    BestFellBack,
    BestMoved,
    BranchForked,
    CommitMade,
    CostUpdate,
    Delivery,
    Event,
    HeadlineMeasured,
    IterationAbandoned,
    IterationFinished,
    IterationStarted,
    LogCorrupt,
    LoopState,
    LoopStateChanged,
    ProposalDecided,
    ProposalMade,
    Role,
    RunFinished,
    RunResumed,
    RunStarted,
    RunStatus,
    SteeringApplied,
    SteeringCancelled,
    SteeringEdited,
    SteeringReceived,
)

__all__ = [
    "MAX_PROBLEMS",
    "BestMove",
    "CostTotals",
    "FallBack",
    "IterationView",
    "ProposalView",
    "RunState",
    "ShownRatio",
    "SteeringView",
    "Stint",
]

MAX_PROBLEMS = 50
"""Odd events described in :attr:`RunState.problems`; more are only counted."""


@dataclass
class RunState:
    run_id: str = ""
    spec_name: str = ""
    agent: str = ""
    agent_options: dict[str, str] = field(default_factory=dict)
    naive: bool = False
    """The naive experiment (see :mod:`jitskit_tui.engine.naive`)."""
    machine: str = ""
    allow_smaller_machine: bool = False
    """The last stint evaluated on a machine smaller than the card when it had to."""
    iterations_budget: int = 0
    loop_state: LoopState = "starting"
    loop_detail: str = ""
    iterations: dict[int, IterationView] = field(default_factory=dict)
    best_iteration: int | None = None
    best_ops_s: float | None = None
    branch: str = "main"
    steering: dict[str, SteeringView] = field(default_factory=dict)
    proposals: dict[str, ProposalView] = field(default_factory=dict)
    cost: dict[Role, CostTotals] = field(default_factory=dict)
    cost_by_iteration: dict[int, CostTotals] = field(default_factory=dict)
    cost_by_iteration_role: dict[int, dict[Role, CostTotals]] = field(default_factory=dict)
    """Each iteration's cost split by role (the cost screen's per-role columns)."""
    baseline_name: str | None = None
    baseline_ops_s: float | None = None
    baseline_paired: list[str] = field(default_factory=list)
    """The baselines each evaluation measures beside the candidate (names)."""
    baseline_figures: dict[str, float] = field(default_factory=dict)
    """Each passing comparable baseline's figure from the run's measurement (ops/s)."""
    best_moves: list[BestMove] = field(default_factory=list)
    """Every move of the best, in order (falling back is not a move)."""
    fallbacks: list[FallBack] = field(default_factory=list)
    disqualified: set[int] = field(default_factory=set)
    """Iterations an audit test at gate severity failed after they were best."""
    headline: HeadlineMeasured | None = None
    """The latest headline measured (``None``: none yet)."""
    headline_said: str = ""
    """What the last stint said of the headline as it ended (`run_finished`): its words,
    or why there is none (`no headline: the run was started without baselines; ...`)."""
    stints: list[Stint] = field(default_factory=list)
    finish_reason: str = ""
    last_seq: int = 0
    corrupt_lines: int = 0
    problems: list[str] = field(default_factory=list)
    """Events that did not fit the run so far (a start without its iteration, a finish
    without a start, a best that is no iteration): folded leniently, described here."""
    problem_count: int = 0

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RunState:
        state = cls()
        for event in events:
            state.apply(event)
        return state

    # -- derived ------------------------------------------------------------------------

    @property
    def completed(self) -> int:
        return sum(1 for it in self.iterations.values() if it.state == "done")

    @property
    def status(self) -> RunStatus | Literal["running", "crashed", "new"]:
        """`running` while the last stint has not ended; a client that knows no engine
        is live calls that `crashed` (see :func:`jitskit_tui.engine.runs.run_status`)."""
        if not self.stints:
            return "new"
        last = self.stints[-1]
        return last.status if last.status is not None else "running"

    @property
    def active_seconds(self) -> float:
        return self.active_seconds_at(None)

    def active_seconds_at(self, now: float | None) -> float:
        """Active time of every stint; given ``now``, a stint that has not ended (the live
        one) counts up to it instead of up to its last event."""
        done = sum(s.seconds for s in self.stints[:-1])
        if not self.stints:
            return done
        last = self.stints[-1]
        if now is not None and last.ended_ts is None:
            return done + max(0.0, now - last.started_ts)
        return done + last.seconds

    @property
    def total_cost(self) -> CostTotals:
        total = CostTotals()
        for part in self.cost.values():
            total.input_tokens += part.input_tokens
            total.output_tokens += part.output_tokens
            total.cache_read_tokens += part.cache_read_tokens
            total.cache_write_tokens += part.cache_write_tokens
            total.dollars += part.dollars
        return total

    def pending_steering(self, delivery: Delivery | None = None) -> list[SteeringView]:
        return [
            s
            for s in self.steering.values()
            if s.state == "pending" and (delivery is None or s.delivery == delivery)
        ]

    def ratio_now(self, it: IterationView) -> ShownRatio:
        """Iteration ``it``'s throughput over the latest baseline the run measured, so
        every row compares against the same number after a re-measure (`baselines`
        control); the committed ratio when no baseline is known now."""
        latest, name = self.baseline_ops_s, self.baseline_name
        if it.state != "done":
            return ShownRatio(None, None)
        paired = it.vs_baseline
        if paired is not None and paired.paired:
            # Measured beside its baseline in its own evaluation: that ratio stands.
            return ShownRatio(
                paired.ratio.point, paired.other.removeprefix("baseline:"), False, paired
            )
        if latest and it.throughput_ops_s > 0:
            restated = it.ratio is None or it.ratio_baseline_ops_s != latest
            return ShownRatio(it.throughput_ops_s / latest, name, restated)
        return ShownRatio(it.ratio, it.ratio_baseline if it.ratio is not None else None)

    def running_iteration(self) -> IterationView | None:
        running = [it for it in self.iterations.values() if it.state == "running"]
        return running[-1] if running else None

    def next_iteration_number(self) -> int:
        """Numbers are never reused, except that of an abandoned (interrupted) iteration,
        which is redone under the same number."""
        live = [n for n, it in self.iterations.items() if it.state != "abandoned"]
        return max(live, default=0) + 1

    # -- the fold -----------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if isinstance(event, LogCorrupt):
            self.corrupt_lines += 1
            return
        self.last_seq = max(self.last_seq, event.seq)
        try:
            self._fold(event)
        except Exception as exc:  # a log must always load: what does not fold is noted
            self._problem(event, f"its fold failed ({exc!r}); skipped")
        if self.stints:
            self.stints[-1].last_ts = max(self.stints[-1].last_ts, event.ts)

    def _fold(self, event: Event) -> None:
        match event:
            case RunStarted():
                self.run_id = event.run_id
                self.spec_name = event.spec_name
                self.agent = event.agent
                self.agent_options = dict(event.agent_options)
                self.naive = event.naive
                self.machine = event.machine
                self.allow_smaller_machine = event.allow_smaller_machine
                self.iterations_budget = event.iterations
                self.stints.append(Stint(started_ts=event.ts, last_ts=event.ts))
            case RunResumed():
                self.agent = event.agent
                self.agent_options = dict(event.agent_options)
                self.naive = event.naive
                self.machine = event.machine
                self.allow_smaller_machine = event.allow_smaller_machine
                self.iterations_budget = event.iterations
                if self.stints and self.stints[-1].status is None:
                    self.stints[-1].status = "crashed"
                    self.stints[-1].ended_ts = self.stints[-1].last_ts
                self.stints.append(Stint(started_ts=event.ts, last_ts=event.ts))
                self.finish_reason = ""
                self.headline_said = ""
            case RunFinished():
                if self.stints:
                    self.stints[-1].status = event.status
                    self.stints[-1].ended_ts = event.ts
                self.finish_reason = event.reason
                self.headline_said = event.headline
                self.loop_state = "stopped"
            case LoopStateChanged():
                self.loop_state = event.state
                self.loop_detail = event.detail
            case IterationStarted():
                if event.iteration is None:
                    self._problem(event, "it has no iteration number; skipped")
                    return
                earlier = self.iterations.get(event.iteration)
                if earlier is not None and earlier.state != "abandoned":
                    self._problem(
                        event,
                        f"iteration {event.iteration} started again while {earlier.state}; "
                        "the new start replaces it",
                    )
                self.iterations[event.iteration] = IterationView(
                    iteration=event.iteration,
                    parent_iteration=event.parent_iteration,
                    step=event.step,
                    branch=event.branch,
                    started_ts=event.ts,
                )
                self.branch = event.branch
            case IterationFinished():
                if event.iteration is None:
                    self._problem(event, "it has no iteration number; skipped")
                    return
                view = self.iterations.get(event.iteration)
                if view is None:
                    self._problem(event, f"iteration {event.iteration} finished without a start")
                    view = IterationView(
                        iteration=event.iteration,
                        parent_iteration=event.parent_iteration,
                        step=0,
                        branch=event.branch,
                    )
                view.state = "done"
                view.summary = event.summary
                view.outcome = event.outcome
                view.verdict = event.verdict
                view.throughput_ops_s = event.throughput_ops_s
                view.ratio = event.ratio
                known = event.ratio is not None
                view.ratio_baseline = self.baseline_name if known else None
                view.ratio_baseline_ops_s = self.baseline_ops_s if known else None
                view.failed_gates = list(event.failed_gates)
                view.claimed_ops_s = event.claimed_ops_s
                view.commit = event.commit
                view.finished_ts = event.ts
                view.decision = event.decision
                view.incumbent_iteration = event.incumbent_iteration
                view.vs_best = event.vs_best
                view.vs_baseline = event.vs_baseline
                if event.vs_baseline is not None:
                    view.ratio_baseline = event.vs_baseline.other.removeprefix("baseline:")
                self.iterations[event.iteration] = view
                if event.is_best:
                    self._set_best(event.iteration, event.throughput_ops_s)
                    if not self.best_moves or self.best_moves[-1].iteration != event.iteration:
                        # Logs before `best_moved` carried evidence: the move is this.
                        self.best_moves.append(BestMove(event.iteration))
            case IterationAbandoned():
                if event.iteration is not None and event.iteration in self.iterations:
                    self.iterations[event.iteration].state = "abandoned"
            case BestMoved():
                if event.iteration is None or event.iteration not in self.iterations:
                    self._problem(
                        event, f"the best moved to iteration {event.iteration}, never started"
                    )
                else:
                    self._set_best(event.iteration, event.throughput_ops_s)
                    self.best_moves.append(BestMove(event.iteration, event.evidence, event.reason))
            case BestFellBack():
                self.disqualified.add(event.from_iteration)
                self.disqualified.update(event.skipped)
                self.fallbacks.append(
                    FallBack(
                        event.from_iteration,
                        event.to_iteration,
                        event.reason,
                        tuple(event.skipped),
                    )
                )
                if event.to_iteration is None or event.to_iteration not in self.iterations:
                    self._clear_best()
                else:
                    to = self.iterations[event.to_iteration]
                    self._set_best(to.iteration, to.throughput_ops_s)
            case HeadlineMeasured():
                self.headline = event
            case CommitMade():
                # Known from here on, before the iteration is logged as finished (the
                # audit tests run on a best that was just committed).
                if event.iteration is not None and event.iteration in self.iterations:
                    self.iterations[event.iteration].commit = event.sha
            case BranchForked():
                self.branch = event.branch
            case AgentTurnFinished():
                if event.iteration is not None and event.iteration in self.iterations:
                    view = self.iterations[event.iteration]
                    if event.role == "planner" and event.ok:
                        view.plan_title = event.title
                    elif event.role == "critic" and event.ok:
                        view.critique = event.output
            case SteeringReceived():
                self.steering[event.steering_id] = SteeringView(
                    id=event.steering_id,
                    text=event.text,
                    delivery=event.delivery,
                    source=event.source,
                )
            case SteeringApplied():
                applied = self.steering.get(event.steering_id)
                if applied is not None:
                    applied.state = "applied"
                    applied.applied_to = event.role
                    applied.applied_iteration = event.iteration
            case SteeringCancelled():
                cancelled = self.steering.get(event.steering_id)
                if cancelled is not None:
                    cancelled.state = "cancelled"
            case SteeringEdited():
                edited = self.steering.get(event.steering_id)
                if edited is None or edited.state != "pending":
                    was = edited.state if edited is not None else "never received"
                    self._problem(
                        event, f"steering {event.steering_id} edited while {was}; ignored"
                    )
                else:
                    edited.text = event.text
                    edited.delivery = event.delivery
                    edited.edits += 1
            case ProposalMade():
                self.proposals[event.proposal_id] = ProposalView(
                    id=event.proposal_id,
                    iteration=event.iteration,
                    title=event.title,
                    rationale=event.rationale,
                    diff=event.diff,
                )
            case ProposalDecided():
                proposal = self.proposals.get(event.proposal_id)
                if proposal is not None:
                    proposal.decision = event.decision
            case CostUpdate():
                self.cost.setdefault(event.role, CostTotals()).add(event)
                if event.iteration is not None:
                    self.cost_by_iteration.setdefault(event.iteration, CostTotals()).add(event)
                    roles = self.cost_by_iteration_role.setdefault(event.iteration, {})
                    roles.setdefault(event.role, CostTotals()).add(event)
            case BaselineKnown():
                self.baseline_name = event.name
                self.baseline_ops_s = event.ops_s
                before = event.paired is None  # a log from before pairing
                named = [event.name] if event.name else []
                self.baseline_paired = named if before else list(event.paired or [])
                self.baseline_figures = (
                    {event.name: event.ops_s}
                    if before and event.name and event.ops_s
                    else dict(event.figures or {})
                )
            case _:
                pass

    def _problem(self, event: Event, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(
                f"event {event.seq} ({event.type}) could not be applied as it is: {text}"
            )

    def _set_best(self, iteration: int, ops_s: float) -> None:
        for view in self.iterations.values():
            view.is_best = view.iteration == iteration
        self.best_iteration = iteration
        self.best_ops_s = ops_s

    def _clear_best(self) -> None:
        for view in self.iterations.values():
            view.is_best = False
        self.best_iteration = None
        self.best_ops_s = None

    @property
    def best_move(self) -> BestMove | None:
        """The move that made the current best (its evidence), when it is known."""
        return next(
            (m for m in reversed(self.best_moves) if m.iteration == self.best_iteration), None
        )

    def earlier_bests(self) -> list[int]:
        """The iterations the best was before, most recent first, without the current
        best and without those an audit test failed: where it may fall back to."""
        seen: list[int] = []
        for move in reversed(self.best_moves):
            n = move.iteration
            if n != self.best_iteration and n not in self.disqualified and n not in seen:
                seen.append(n)
        return seen
