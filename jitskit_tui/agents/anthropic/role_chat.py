"""One role's chat with its model: the cached prefix, the bounded conversation, and
sending a turn (compacting first when the conversation nears the context window)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from jitskit_tui.agents.anthropic import prompts
from jitskit_tui.agents.anthropic.client import ContextTooLong, MessagesClient, ModelRequest
from jitskit_tui.agents.anthropic.conversation import (
    CHARS_PER_TOKEN,
    Conversation,
    fallback_summary,
    text_block,
    transcript_for_summary,
)
from jitskit_tui.agents.anthropic.stream import JSON, ModelReply
from jitskit_tui.config import AnthropicSettings
from jitskit_tui.protocol.agent import AgentFatalError, AgentSink, Compaction
from jitskit_tui.protocol.events import Role

SUMMARY_MAX_TOKENS = 4000

DEFAULT_MAX_TOKENS: dict[Role, int] = {
    "planner": 8000,
    "coder": 32000,
    "critic": 4000,
    "auditor": 16000,
}


@dataclass
class RoleChat:
    role: Role
    model: str
    client: MessagesClient
    settings: AnthropicSettings
    stable: str
    """The spec and the header: the cached part of the system prompt."""

    def __post_init__(self) -> None:
        self.conversation = Conversation()

    # -- the request ---------------------------------------------------------------------

    def system(self) -> list[JSON]:
        return [
            text_block(prompts.system_prompt(self.role)),
            {**text_block(self.stable), "cache_control": {"type": "ephemeral"}},
        ]

    def thinking(self) -> JSON | None:
        setting = self.settings.thinking
        if setting == "off":
            return None
        if setting == "adaptive":
            return {"type": "adaptive", "display": "summarized"}
        return {"type": "enabled", "budget_tokens": int(setting), "display": "summarized"}

    def max_tokens(self) -> int:
        wanted = self.settings.max_output_tokens.get(self.role, DEFAULT_MAX_TOKENS[self.role])
        setting = self.settings.thinking
        if isinstance(setting, int):
            wanted = max(wanted, setting + 4096)
        return wanted

    def request(self, tools: list[JSON]) -> ModelRequest:
        return ModelRequest(
            role=self.role,
            model=self.model,
            system=self.system(),
            messages=self.conversation.request_messages(),
            max_tokens=self.max_tokens(),
            tools=_cached_tools(tools),
            thinking=self.thinking(),
        )

    def _fixed_chars(self, tools: list[JSON]) -> int:
        return sum(len(b["text"]) for b in self.system()) + len(json.dumps(tools))

    # -- a turn --------------------------------------------------------------------------

    @property
    def window(self) -> int:
        return self.settings.window_for(self.model)

    @property
    def threshold(self) -> int:
        """Compact when the next request would be at least this many tokens."""
        return int(self.window * self.settings.compact_at)

    async def send(self, sink: AgentSink, tools: list[JSON] | None = None) -> ModelReply:
        """Sends the conversation; appends and returns the model's reply."""
        tools = tools or []
        if self.conversation.estimate_tokens(self._fixed_chars(tools)) >= self.threshold:
            await self.compact(sink, tools)
        try:
            reply = await self.client.stream(self.request(tools), sink)
        except ContextTooLong as exc:
            if not await self.compact(sink, tools, forced=True):
                raise AgentFatalError(
                    f"the {self.role}'s request does not fit {self.model}'s context: {exc}",
                    "lower anthropic.context_window in ~/.config/jitskit/config.toml",
                ) from None
            reply = await self.client.stream(self.request(tools), sink)
        self.conversation.add_reply(reply)
        return reply

    async def compact(
        self, sink: AgentSink, tools: list[JSON] | None = None, *, forced: bool = False
    ) -> bool:
        """Folds older turns into a summary (or, with too few turns to fold, cuts long old
        tool results); reports it to the sink; whether the conversation got smaller."""
        conversation = self.conversation
        fixed = self._fixed_chars(tools or [])
        before = conversation.estimate_tokens(fixed)
        # What is kept verbatim should leave the conversation at about half the threshold.
        room = self.threshold // 2 * CHARS_PER_TOKEN - self._fixed_chars([])
        room -= len(conversation.anchor) + SUMMARY_MAX_TOKENS * CHARS_PER_TOKEN // 2
        split = conversation.split(self.settings.keep_turns, room)
        if split is None:
            # Too few turns to fold: cut the bulk of old tool results instead.
            clipped = conversation.clip_old_results()
            if clipped:
                after = conversation.estimate_tokens(fixed)
                sink.compacted(Compaction("clipped", 0, before, after))
            return clipped or not forced
        older, kept = split
        summary = await self._summarize(older, sink)
        conversation.replace_older(kept, summary)
        if conversation.estimate_tokens(fixed) >= self.threshold:
            conversation.clip_old_results()
        folded = sum(1 for m in older if m["role"] == "assistant")
        after = conversation.estimate_tokens(fixed)
        sink.compacted(Compaction("summary", folded, before, after))
        return True

    async def _summarize(self, older: list[JSON], sink: AgentSink) -> str:
        transcript = transcript_for_summary(older, int(self.window * 0.5) * CHARS_PER_TOKEN)
        request = ModelRequest(
            role=self.role,
            model=self.model,
            system=[text_block(prompts.compaction_prompt(self.role))],
            messages=[
                {
                    "role": "user",
                    "content": [
                        text_block(
                            "Summarize these older turns of the conversation:\n\n" + transcript
                        )
                    ],
                }
            ],
            max_tokens=SUMMARY_MAX_TOKENS,
        )
        try:
            reply = await self.client.complete(request, sink)
        except (AgentFatalError, ContextTooLong):
            raise
        except Exception as exc:  # the summary is an aid: fall back to one made here
            sink.notice(
                f"could not summarize the {self.role}'s older turns ({type(exc).__name__}); "
                "kept a plain list of them instead"
            )
            return fallback_summary(older)
        return reply.text.strip() or fallback_summary(older)


def _cached_tools(tools: list[JSON]) -> list[JSON]:
    if not tools:
        return []
    return [*tools[:-1], {**tools[-1], "cache_control": {"type": "ephemeral"}}]
