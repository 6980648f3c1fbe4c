"""The agent contract: four roles, the context each turn gets, and what it returns.

An agent backend (`jitskit_tui/agents/...`) implements :class:`Agent` and needs nothing
but this package: a turn is an async method that reports as it goes through an
:class:`AgentSink` (text deltas, thinking summaries, usage, retries) and, for the coder
and the auditor, acts through :class:`~jitskit_tui.protocol.tools.Tools`. The loop may
cancel a turn at any await point (abort); a turn must leave nothing running when
cancelled.

Steering reaches an agent two ways: `next-iteration` notes are in the planner's
:class:`PlanContext`; `next-tool` notes come back attached to the next tool result
(:attr:`~jitskit_tui.protocol.tools.ToolResult.steering`), and the agent must take them
into account from there on (a model agent adds them as a user message before its next
request).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from jitskit_tui.protocol.audit import AuditSuite
from jitskit_tui.protocol.events import Delivery
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.spec.model import SpecCard


class AgentUnavailable(Exception):
    """The agent asked for cannot be made here (with what to do instead): no key, a
    missing tool, a bad option. Raised by a backend's factory before the run starts."""


class AgentFatalError(Exception):
    """Going on is pointless (bad key, unknown model): the run stops with this message."""

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step


@dataclass(frozen=True)
class SteeringNote:
    """Guidance from the human, as handed to an agent."""

    id: str
    text: str
    delivery: Delivery


@dataclass(frozen=True)
class Usage:
    """Tokens and dollars of one model response."""

    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    dollars: float = 0.0
    estimated: bool = False
    """The dollars are the price table's estimate, not what is billed (a Claude Code
    login on a subscription); token caps hold all the same."""


class BudgetGauge(Protocol):
    """The run's budget caps (tokens, dollars, wall time) as a turn sees them: the
    engine's one budget authority, fed by the usage every sink reports."""

    def exhausted(self) -> str | None:
        """Which cap is reached, in words (`token budget used up (5,400 of 5,000)`);
        ``None`` while there is room. A backend checks it before each model request and
        ends its turn cleanly when a cap is reached; the loop then stops."""
        ...


class AgentSink(Protocol):
    """Where a turn reports as it goes; bound by the loop to one role and iteration."""

    @property
    def budget(self) -> BudgetGauge:
        """The run's budget, counting every usage reported so far (this turn's too)."""
        ...

    def text(self, delta: str) -> None:
        """Streams words of the turn's message (append to what came before)."""

    def thinking(self, text: str) -> None:
        """A summary of the model's thinking, when it is enabled."""

    def usage(self, usage: Usage) -> None:
        """Tokens and cost of one response."""

    def retry(self, attempt: int, delay_s: float, reason: str) -> None:
        """A request is retried after ``delay_s``."""

    def notice(self, message: str, next_step: str = "") -> None:
        """A problem worth showing that does not end the turn."""

    def tool_forming(self, call_id: str, name: str, input_delta: str, input_chars: int) -> None:
        """A tool call is being written: ``input_delta`` is its input JSON since the last
        call for ``call_id`` (the caller throttles these)."""

    def compacted(self, report: Compaction) -> None:
        """The role's conversation was made smaller to stay inside the context window."""


@dataclass(frozen=True)
class Compaction:
    """How a conversation was compacted (for :meth:`AgentSink.compacted`)."""

    how: Literal["summary", "clipped"]
    turns_folded: int
    tokens_before: int
    tokens_after: int


@dataclass(frozen=True)
class Brief:
    """What every turn knows about the run."""

    spec: SpecCard
    spec_text: str
    """The frozen `spec.yaml`, as written."""
    header: str
    """`jitskit/kvstore.h`, the store contract."""
    workspace: Path
    iteration: int
    step: int
    """Position along the current branch (1 for the first iteration after the start or a
    fork point's step + 1); a scripted trajectory is indexed by it."""
    parent_iteration: int
    iterations_budget: int
    machine: str


@dataclass(frozen=True)
class PlanContext:
    brief: Brief
    whiteboard: str
    last_critique: str | None
    previous: IterationRecord | None
    """The iteration this one builds on (``None`` for the first)."""
    best: IterationRecord | None
    steering: list[SteeringNote] = field(default_factory=list)
    """`next-iteration` steering, applied to this plan."""


@dataclass(frozen=True)
class Plan:
    title: str
    """One line: the design tried in this iteration."""
    text: str
    """The design and its reasoning (markdown); goes on the whiteboard."""


@dataclass(frozen=True)
class CodeContext:
    brief: Brief
    plan: Plan
    previous: IterationRecord | None


@dataclass(frozen=True)
class CodeOutcome:
    summary: str
    """One line for the commit message: what changed."""


@dataclass(frozen=True)
class CritiqueContext:
    brief: Brief
    plan: Plan
    record: IterationRecord
    """This iteration, measured (its result, gates and ratio)."""
    previous: IterationRecord | None
    best: IterationRecord | None
    """The best iteration before this one."""
    diff: str
    """This iteration's change to `store/`, as a unified diff."""


@dataclass(frozen=True)
class Critique:
    text: str


@dataclass(frozen=True)
class AuditContext:
    brief: Brief
    recent: list[IterationRecord]
    """The latest iterations, newest last."""
    suite: AuditSuite


@dataclass(frozen=True)
class AuditOutcome:
    report: str
    """What was checked and found; tests are added and proposals made through tools."""


@dataclass(frozen=True)
class NaiveContext:
    """The naive experiment (the paper's baseline): one session with the spec, the store
    contract and a benchmark tool, no planner, critic, auditor or gates in the loop."""

    brief: Brief
    runs_left: int
    """Benchmark runs left in the budget: each ends an iteration (the store is committed
    and the gates judge it after the fact, out of the agent's sight)."""
    resumed: bool = False
    """The run was resumed: `store/` holds the session's earlier work."""


class Agent(abc.ABC):
    """Plays the four roles. One instance serves a whole run (and may keep conversations)."""

    name: str = "agent"
    runs_naive: bool = False
    """Whether it can run the naive experiment (:meth:`naive`)."""

    @abc.abstractmethod
    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        """Reads the spec, the whiteboard and the last critique; designs the next store."""

    @abc.abstractmethod
    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        """Edits `store/` through ``tools`` until the iteration is ready."""

    @abc.abstractmethod
    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        """Explains the result from its leading indicators and says what to try next."""

    @abc.abstractmethod
    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        """Looks for reward hacks; adds audit tests and proposals through ``tools``."""

    async def naive(self, ctx: NaiveContext, tools: Tools, sink: AgentSink) -> str:
        """The naive experiment's one session: works on `store/` with ``tools`` (among
        them `benchmark`, which reports throughput only) until the runs are used or it is
        done; returns its last words. Only a backend with ``runs_naive`` has it."""
        raise AgentUnavailable(
            f"the {self.name} agent cannot run the naive experiment; use --agent claude-code"
        )

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Releases connections once the engine is done with it (the end of its stint)."""
