"""The four roles played by Claude Code, each turn a CLI process in its jail.

- The planner and the critic keep their conversations along the branch: a turn resumes
  the session the role's turn for the parent iteration left (forked at its last entry),
  after a fork, a redo or a restart of jitskit alike; without one it starts afresh from
  the whiteboard.
- The coder starts afresh each iteration in `store/` (its memory is `store/` itself),
  with Claude Code's file tools there and the jitskit tools, until it calls `finish`.
- The auditor starts afresh at each audit with its earlier reports, reads `store/` and
  writes tests under `audit/`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from jitskit_tui.agents.anthropic import prompts
from jitskit_tui.agents.anthropic.agent import AUDIT_MEMORY, ModelReplyError
from jitskit_tui.agents.anthropic.asks import (
    audit_ask,
    audit_report,
    code_ask,
    code_summary,
    critique_ask,
    over_budget,
    plan_ask,
)
from jitskit_tui.agents.anthropic.context import clip, parse_plan, stable_context, whiteboard_digest
from jitskit_tui.agents.claude_code.home import PrivateHome
from jitskit_tui.agents.claude_code.policy import Folders
from jitskit_tui.agents.claude_code.threads import Threads
from jitskit_tui.agents.claude_code.turn import ClaudeRunner, SessionLost, TurnOutcome, TurnSetup
from jitskit_tui.protocol.agent import (
    Agent,
    AgentSink,
    AuditContext,
    AuditOutcome,
    Brief,
    CodeContext,
    CodeOutcome,
    Critique,
    CritiqueContext,
    NaiveContext,
    Plan,
    PlanContext,
)
from jitskit_tui.protocol.events import Role
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.spec.model import SpecCard

WHITEBOARD_CHARS = 60_000

CLAUDE_CODE_TOOLS = prompts.ToolWords(
    coder="""\
Claude Code's Read, Write, Edit, Glob and Grep, in your working directory (the run's
`store/` folder) and nowhere else; give them absolute paths under it; there is no shell.
The jitskit tools: build_and_test builds the store and runs the gates and a quick
benchmark in the benchmark machine (it takes a while: use it to check your work, not after
every edit); delete_file removes a file (a path such as store/old.cc); read_results,
read_spec and read_header read the evaluator's results, the spec card and the store
contract; finish ends your turn.""",
    auditor="""
Your working directory is the run's folder: Claude Code's Read, Glob and Grep read its
`store/` and `audit/` (give Glob and Grep one of them as path), Write and Edit write under
`audit/` only (absolute paths); there is no shell. add_audit_test takes the test's path as
`audit/<id>.cc`.""",
    edit="Edit",
    write="Write",
)


NAIVE_FILES = (
    "Claude Code's Read, Write, Edit, Glob and Grep, in your working directory (the "
    "`store/` folder) and nowhere else, with absolute paths; there is no shell."
)
NAIVE_NUDGES = 2
"""Times a naive session that stops with runs left is asked to go on."""


class ClaudeCodeAgent(Agent):
    name = "claude-code"
    runs_naive = True

    def __init__(self, spec: SpecCard, runner: ClaudeRunner) -> None:
        self.spec = spec
        self.runner = runner
        self._home: PrivateHome | None = None
        self._threads: Threads | None = None
        self._audit_reports: list[str] = []

    def _model(self, role: Role, brief: Brief) -> str:
        models = brief.spec.loop.models
        return {
            "planner": models.planner,
            "coder": models.coder,
            "critic": models.critic,
            "auditor": models.auditor,
        }[role]

    def _system(self, role: Role, brief: Brief) -> str:
        return prompts.system_prompt(role, CLAUDE_CODE_TOOLS) + "\n" + stable_context(brief)

    def home(self, brief: Brief) -> PrivateHome:
        if self._home is None:
            self._home = PrivateHome.for_workspace(brief.workspace)
        return self._home

    def threads(self, brief: Brief) -> Threads:
        if self._threads is None:
            self._threads = Threads(self.home(brief).threads)
        return self._threads

    async def _converse(
        self, role: Role, brief: Brief, ask: Callable[[bool], str], sink: AgentSink
    ) -> str:
        """One turn of a role that keeps its conversation along the branch: it continues
        from the role's turn for the parent iteration when there is one (``ask(True)``),
        else starts afresh (``ask(False)``)."""
        threads = self.threads(brief)
        point = threads.at(role, brief.parent_iteration) if brief.parent_iteration else None
        setup = TurnSetup(
            role,
            self.home(brief),
            self._model(role, brief),
            self._system(role, brief),
            resume=point,
        )
        try:
            outcome = await self.runner.run(setup, ask(point is not None), sink)
        except SessionLost as exc:
            sink.notice(
                f"the {role}'s Claude Code session could not be resumed ({exc}); it starts "
                "afresh from the whiteboard"
            )
            setup = replace(setup, resume=None)
            outcome = await self.runner.run(setup, ask(False), sink)
        if not outcome.text.strip():
            raise ModelReplyError(
                f"the {role}'s model ({setup.model}) replied with no text"
                + (f" ({outcome.stopped})" if outcome.stopped else "")
            )
        if outcome.point is not None:
            threads.record(role, brief.iteration, outcome.point)
        return outcome.text.strip()

    # -- planner -------------------------------------------------------------------------

    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        board = whiteboard_digest(ctx.whiteboard, WHITEBOARD_CHARS)
        text = await self._converse(
            "planner", ctx.brief, lambda going_on: plan_ask(ctx, board, continuing=going_on), sink
        )
        title, design = parse_plan(text)
        return Plan(title=title, text=design)

    # -- coder ---------------------------------------------------------------------------

    def _folders(self, brief: Brief, role: Role) -> Folders:
        store, audit = brief.workspace / "store", brief.workspace / "audit"
        if role == "auditor":
            return Folders(brief.workspace, (store, audit), (audit,))
        return Folders(store, (store,), (store,))

    async def _work(
        self, role: Role, brief: Brief, tools: Tools, ask: str, sink: AgentSink
    ) -> TurnOutcome:
        setup = TurnSetup(
            role,
            self.home(brief),
            self._model(role, brief),
            self._system(role, brief),
            folders=self._folders(brief, role),
            tools=tools,
        )
        return await self.runner.run(setup, ask, sink)

    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        over = sink.budget.exhausted()
        if over is not None:
            sink.notice(
                f"the coder stopped before its first request: {over}",
                "the loop stops once this iteration is recorded",
            )
            return CodeOutcome(code_summary(ctx, None, "", over))
        outcome = await self._work("coder", ctx.brief, tools, code_ask(ctx), sink)
        return CodeOutcome(code_summary(ctx, tools.finished, outcome.text, outcome.stopped))

    # -- critic --------------------------------------------------------------------------

    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        over = over_budget(sink, "critique")
        if over is not None:
            return Critique(text=over)
        text = await self._converse(
            "critic", ctx.brief, lambda going_on: critique_ask(ctx, continuing=going_on), sink
        )
        return Critique(text=text)

    # -- the naive experiment ------------------------------------------------------------

    async def naive(self, ctx: NaiveContext, tools: Tools, sink: AgentSink) -> str:
        brief = ctx.brief
        system = prompts.naive_prompt(NAIVE_FILES) + "\n" + stable_context(brief)
        store = brief.workspace / "store"
        setup = TurnSetup(
            "coder",
            self.home(brief),
            self._model("coder", brief),
            system,
            folders=Folders(store, (store,), (store,)),
            tools=tools,
        )
        again = "The store you wrote so far is in store/. " if ctx.resumed else ""
        ask = (
            f"{again}Write the fastest store you can for this spec in store/. You have "
            f"{ctx.runs_left} benchmark runs."
        )
        outcome = await self.runner.run(setup, ask, sink)
        for _ in range(NAIVE_NUDGES):
            if tools.finished is not None or outcome.stopped or outcome.point is None:
                break
            # It stopped with runs left: it is told so once or twice, as a user would.
            setup = replace(setup, resume=outcome.point)
            nudge = "You still have benchmark runs left: go on improving the store, or call finish."
            outcome = await self.runner.run(setup, nudge, sink)
        return outcome.text

    # -- auditor -------------------------------------------------------------------------

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        over = over_budget(sink, "audit")
        if over is not None:
            return AuditOutcome(report=over)
        brief = ctx.brief
        ask = audit_ask(ctx, self._audit_reports[-AUDIT_MEMORY:])
        outcome = await self._work("auditor", brief, tools, ask, sink)
        report = audit_report(outcome.text, tools.finished)
        self._audit_reports.append(f"After iteration {brief.iteration}: {clip(report, 2000)}")
        return AuditOutcome(report=report)
