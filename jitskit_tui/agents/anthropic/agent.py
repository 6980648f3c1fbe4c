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

from jitskit_tui.agents.anthropic.asks import (
    audit_ask,
    audit_report,
    code_ask,
    code_summary,
    critique_ask,
    over_budget,
    plan_ask,
    plan_text,
)
from jitskit_tui.agents.anthropic.client import MessagesClient
from jitskit_tui.agents.anthropic.context import (
    clip,
    parse_plan,
    stable_context,
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
        continuing = self._along_branch("planner", chat, brief)
        parts = [plan_ask(ctx, board, continuing=continuing)]
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
        conversation.anchor = plan_text(ctx)
        conversation.add_user([text_block(code_ask(ctx))])
        outcome = await run_tool_loop(chat, tools, sink)
        return CodeOutcome(code_summary(ctx, outcome.finished, outcome.text, outcome.stopped))

    # -- critic --------------------------------------------------------------------------

    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        brief = ctx.brief
        over = over_budget(sink, "critique")
        if over is not None:
            return Critique(text=over)
        chat = self.chat("critic", brief)
        continuing = self._along_branch("critic", chat, brief)
        parts = [critique_ask(ctx, continuing=continuing)]
        chat.conversation.anchor = ""
        text = await self._ask(chat, parts, sink)
        self._heads["critic"] = brief.iteration
        return Critique(text=text)

    # -- auditor -------------------------------------------------------------------------

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        brief = ctx.brief
        over = over_budget(sink, "audit")
        if over is not None:
            return AuditOutcome(report=over)
        chat = self.chat("auditor", brief)
        conversation = chat.conversation
        conversation.reset()
        conversation.anchor = suite_listing(ctx.suite)
        conversation.add_user([text_block(audit_ask(ctx, self._audit_reports[-AUDIT_MEMORY:]))])
        outcome = await run_tool_loop(chat, tools, sink)
        report = audit_report(outcome.text, outcome.finished)
        self._audit_reports.append(f"After iteration {brief.iteration}: {clip(report, 2000)}")
        return AuditOutcome(report=report)
