"""The model-driven agent: four roles over the Messages API, each with its own system
prompt, model (the spec's `loop.models`) and conversation.

- The planner and the critic keep a conversation along the branch (a fork or a redone
  iteration starts them afresh from the whiteboard); it is compacted as it grows.
- The coder starts afresh each iteration from the plan and the previous result (its memory
  is `store/` itself) and works in a tool loop until it calls `finish`.
- The auditor starts afresh at each audit with its earlier reports, reads the store with
  its tools, and adds tests and proposals through them.
"""

from __future__ import annotations

from jitskit_tui.agents.anthropic.client import MessagesClient
from jitskit_tui.agents.anthropic.context import (
    DIFF_CHARS,
    clip,
    parse_plan,
    record_brief,
    run_line,
    stable_context,
    steering_text,
    store_listing,
    suite_listing,
    whiteboard_digest,
)
from jitskit_tui.agents.anthropic.conversation import CHARS_PER_TOKEN, text_block
from jitskit_tui.agents.anthropic.pricing import PriceTable
from jitskit_tui.agents.anthropic.role_chat import RoleChat
from jitskit_tui.agents.anthropic.toolloop import run_tool_loop
from jitskit_tui.config import AnthropicSettings
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
    Plan,
    PlanContext,
)
from jitskit_tui.protocol.events import Role
from jitskit_tui.protocol.tools import Tools
from jitskit_tui.spec.model import SpecCard

AUDIT_MEMORY = 5
"""Earlier audit reports the auditor is reminded of."""


class ModelReplyError(Exception):
    """The model's reply cannot be used (empty, refused): this iteration's agent error."""


class AnthropicAgent(Agent):
    name = "anthropic"

    def __init__(
        self,
        spec: SpecCard,
        *,
        api_key: str,
        settings: AnthropicSettings | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.spec = spec
        self.settings = settings or AnthropicSettings()
        self.client = MessagesClient(api_key, self.settings, prices or PriceTable())
        self._chats: dict[Role, RoleChat] = {}
        self._heads: dict[Role, int] = {}
        """The iteration each persistent conversation has reached."""
        self._audit_reports: list[str] = []

    async def close(self) -> None:
        await self.client.close()

    def chat(self, role: Role, brief: Brief) -> RoleChat:
        models = brief.spec.loop.models
        model = {
            "planner": models.planner,
            "coder": models.coder,
            "critic": models.critic,
            "auditor": models.auditor,
        }[role]
        found = self._chats.get(role)
        if found is None or found.model != model:
            found = RoleChat(role, model, self.client, self.settings, stable_context(brief))
            self._chats[role] = found
        return found

    def _board(self, whiteboard: str, chat: RoleChat) -> str:
        limit = min(60_000, int(chat.window * 0.2) * CHARS_PER_TOKEN)
        return whiteboard_digest(whiteboard, limit)

    def _along_branch(self, role: Role, chat: RoleChat, brief: Brief) -> bool:
        """Keeps the role's conversation when it continues the branch; starts it afresh
        after a fork or a redo."""
        conversation = chat.conversation
        if conversation.messages and self._heads.get(role) != brief.parent_iteration:
            conversation.reset()
        return bool(conversation.messages)

    async def _ask(self, chat: RoleChat, parts: list[str], sink: AgentSink) -> str:
        conversation = chat.conversation
        mark = conversation.mark()
        conversation.add_user([text_block("\n\n".join(p for p in parts if p))])
        try:
            reply = await chat.send(sink)
        except BaseException:
            conversation.rollback(mark)
            raise
        if not reply.text.strip():
            conversation.rollback(mark)
            raise ModelReplyError(
                f"the {chat.role}'s model ({chat.model}) replied with no text "
                f"(stop reason {reply.stop_reason})"
            )
        return reply.text.strip()

    # -- planner -------------------------------------------------------------------------

    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        brief = ctx.brief
        chat = self.chat("planner", brief)
        board = self._board(ctx.whiteboard, chat)
        chat.conversation.anchor = f"The whiteboard as it stands now:\n\n{board}"
        critique = ctx.last_critique or ""
        if self._along_branch("planner", chat, brief):
            parts = [
                run_line(brief),
                record_brief(ctx.previous, "The result of your last plan"),
                f"The critic's feedback on it:\n{critique}" if critique else "",
                record_brief(ctx.best, "The best iteration so far") if ctx.best else "",
            ]
        else:
            parts = [
                run_line(brief),
                f"The whiteboard:\n\n{board}",
                record_brief(ctx.previous, "The iteration this one builds on"),
                f"The critic's feedback on it:\n{critique}" if critique else "",
                record_brief(ctx.best, "The best iteration so far"),
            ]
        parts += [steering_text(ctx.steering), f"Plan iteration {brief.iteration}."]
        text = await self._ask(chat, parts, sink)
        self._heads["planner"] = brief.iteration
        title, design = parse_plan(text)
        return Plan(title=title, text=design)

    # -- coder ---------------------------------------------------------------------------

    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        brief = ctx.brief
        chat = self.chat("coder", brief)
        conversation = chat.conversation
        conversation.reset()
        plan = f"The plan for this iteration: {ctx.plan.title}\n\n{ctx.plan.text.strip()}"
        conversation.anchor = plan
        what = "The result of the iteration this one builds on (store/ holds its code)"
        parts = [
            run_line(brief),
            plan,
            record_brief(ctx.previous, what, logs=True),
            f"The files in store/ now:\n{store_listing(brief.workspace)}",
            "Implement the plan in store/ with your tools. Check it with build_and_test "
            "before you finish; then call finish with one line saying what changed.",
        ]
        conversation.add_user([text_block("\n\n".join(p for p in parts if p))])
        outcome = await run_tool_loop(chat, tools, sink)
        if outcome.finished:
            return CodeOutcome(summary=outcome.finished)
        first = next((ln.strip() for ln in outcome.text.splitlines() if ln.strip()), "")
        summary = first[:200] or ctx.plan.title
        if outcome.stopped:
            summary = f"{ctx.plan.title} (unfinished: {outcome.stopped})"
        return CodeOutcome(summary=summary)

    def _over_budget(self, sink: AgentSink, what: str) -> str | None:
        """``(no WHAT: the cap reached)`` when a cap is reached (and says so), else None."""
        over = sink.budget.exhausted()
        if over is None:
            return None
        sink.notice(f"no {what}: {over}", "the loop stops once this iteration is recorded")
        return f"(no {what}: {over})"

    # -- critic --------------------------------------------------------------------------

    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        brief = ctx.brief
        over = self._over_budget(sink, "critique")
        if over is not None:
            return Critique(text=over)
        chat = self.chat("critic", brief)
        failed_build = ctx.record.result is not None and any(
            g.name == "build" and not g.passed for g in ctx.record.result.gates
        )
        parts = [run_line(brief)]
        continuing = self._along_branch("critic", chat, brief)
        best_elsewhere = ctx.best is not None and ctx.best.iteration != brief.parent_iteration
        if not continuing or best_elsewhere:
            parts.append(record_brief(ctx.best, "The best iteration before this one"))
        parts += [
            f"The plan: {ctx.plan.title}\n\n{clip(ctx.plan.text.strip(), 8000)}",
            record_brief(ctx.record, "This iteration, measured", logs=failed_build),
            record_brief(ctx.previous, "The iteration it builds on"),
            f"Its change to store/:\n```diff\n{clip(ctx.diff, DIFF_CHARS)}\n```"
            if ctx.diff.strip()
            else "It did not change store/.",
            "Explain the result from its leading indicators, and say what to try next.",
        ]
        chat.conversation.anchor = ""
        text = await self._ask(chat, parts, sink)
        self._heads["critic"] = brief.iteration
        return Critique(text=text)

    # -- auditor -------------------------------------------------------------------------

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        brief = ctx.brief
        over = self._over_budget(sink, "audit")
        if over is not None:
            return AuditOutcome(report=over)
        chat = self.chat("auditor", brief)
        conversation = chat.conversation
        conversation.reset()
        earlier = "\n\n".join(self._audit_reports[-AUDIT_MEMORY:])
        recent = "\n\n".join(record_brief(r, f"Iteration {r.iteration}") for r in ctx.recent)
        parts = [
            run_line(brief),
            suite_listing(ctx.suite),
            f"Your earlier audit reports:\n\n{earlier}" if earlier else "",
            f"The latest iterations (newest last):\n\n{recent}" if recent else "",
            f"The files in store/ now:\n{store_listing(brief.workspace)}",
            "Audit the candidate in store/ for reward hacks. Add a test for each finding, "
            "propose harness changes if the harness has a gap, then call finish.",
        ]
        conversation.anchor = suite_listing(ctx.suite)
        conversation.add_user([text_block("\n\n".join(p for p in parts if p))])
        outcome = await run_tool_loop(chat, tools, sink)
        report = outcome.text or outcome.finished or "(no report)"
        if outcome.finished and outcome.finished not in report:
            report = f"{report}\n\n{outcome.finished}"
        self._audit_reports.append(f"After iteration {brief.iteration}: {clip(report, 2000)}")
        return AuditOutcome(report=report)
