"""One role's conversation with its model, kept bounded.

The conversation knows how big its last request was (from the response's usage) and how
much has been added since, so it can tell when it nears the model's context window. Then
its older turns are folded into a summary: everything before the last few model turns is
cut at a model turn (so a tool call is never separated from its result) and replaced by
one user message holding the summary and the role's anchor (the whiteboard, the plan:
what must not be forgotten), so a long run neither fails nor grows without limit.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

from jitskit_tui.agents.anthropic.stream import JSON, ModelReply

CHARS_PER_TOKEN = 3
"""A conservative estimate for code and English (errs towards compacting early)."""
CLIPPED_RESULT_CHARS = 2000
"""How much of an old tool result is kept when even the recent turns are too big."""
SUMMARY_INPUT_BLOCK_CHARS = 4000
"""How much of each old block the summarizer sees."""
SUMMARY_HEADER = "Summary of the earlier conversation (older turns were compacted):"


def content_chars(content: str | list[JSON]) -> int:
    if isinstance(content, str):
        return len(content)
    return sum(len(json.dumps(block)) for block in content)


def text_block(text: str) -> JSON:
    return {"type": "text", "text": text}


@dataclass
class Conversation:
    messages: list[JSON] = field(default_factory=list)
    anchor: str = ""
    """What the first message must hold after a compaction (the role's memory)."""
    prompt_tokens: int = 0
    """The last request's input, and the reply, in tokens (0: nothing sent yet)."""
    added_chars: int = 0
    """Characters added since that request."""
    compactions: int = 0

    def add_user(self, blocks: list[JSON]) -> None:
        blocks = [b for b in blocks if not (b.get("type") == "text" and not b.get("text"))]
        if not blocks:
            return
        self.added_chars += content_chars(blocks)
        if self.messages and self.messages[-1]["role"] == "user":
            previous = self.messages[-1]["content"]
            if isinstance(previous, str):
                previous = [text_block(previous)]
            self.messages[-1]["content"] = [*previous, *blocks]
            return
        self.messages.append({"role": "user", "content": blocks})

    def add_reply(self, reply: ModelReply) -> None:
        self.prompt_tokens = reply.tokens.prompt + reply.tokens.output
        self.added_chars = 0
        content = reply.content or [text_block("(no reply)")]
        self.messages.append({"role": "assistant", "content": content})

    def estimate_tokens(self, fixed_chars: int) -> int:
        """The next request's size: measured last time, plus what was added since."""
        if self.prompt_tokens:
            return self.prompt_tokens + self.added_chars // CHARS_PER_TOKEN
        chars = fixed_chars + sum(content_chars(m["content"]) for m in self.messages)
        return chars // CHARS_PER_TOKEN

    def mark(self) -> int:
        return len(self.messages)

    def rollback(self, mark: int) -> None:
        """Forgets what a failed or cancelled turn added (so the next turn starts clean)."""
        del self.messages[mark:]
        if self.messages and self.messages[-1]["role"] == "assistant":
            self.added_chars = 0

    def reset(self) -> None:
        self.messages.clear()
        self.prompt_tokens = 0
        self.added_chars = 0

    def request_messages(self) -> list[JSON]:
        """The messages to send, with a cache breakpoint on the newest block (so the next
        request reads everything before it from the cache)."""
        if not self.messages:
            return []
        out = list(self.messages[:-1])
        last = copy.deepcopy(self.messages[-1])
        content = last["content"]
        if isinstance(content, str):
            content = [text_block(content)]
        if content:
            content[-1] = {**content[-1], "cache_control": {"type": "ephemeral"}}
        last["content"] = content
        out.append(last)
        return out

    # -- compaction ----------------------------------------------------------------------

    def split(self, keep_turns: int, max_kept_chars: int) -> tuple[list[JSON], list[JSON]] | None:
        """(older, kept): kept starts at a model turn and holds the last ``keep_turns`` of
        them, or fewer (at least one) when they would exceed ``max_kept_chars``; ``None``
        when there is nothing older to fold."""
        turns = [i for i, m in enumerate(self.messages) if m["role"] == "assistant"]
        for keep in range(min(keep_turns, len(turns) - 1), 0, -1):
            cut = turns[len(turns) - keep]
            kept = self.messages[cut:]
            if keep == 1 or sum(content_chars(m["content"]) for m in kept) <= max_kept_chars:
                return (self.messages[:cut], kept) if cut >= 2 else None
        return None

    def replace_older(self, kept: list[JSON], summary: str) -> None:
        first = f"{SUMMARY_HEADER}\n\n{summary.strip()}"
        if self.anchor:
            first += f"\n\n{self.anchor.strip()}"
        self.messages = [{"role": "user", "content": [text_block(first)]}, *kept]
        self.prompt_tokens = 0
        self.added_chars = 0
        self.compactions += 1

    def clip_old_results(self) -> bool:
        """Cuts long tool results and texts in all but the newest two messages; whether
        anything was cut."""
        cut = False
        for message in self.messages[:-2]:
            content = message["content"]
            if isinstance(content, str):
                continue
            for block in content:
                if block.get("type") == "tool_result":
                    inner = block.get("content")
                    if isinstance(inner, str) and len(inner) > CLIPPED_RESULT_CHARS:
                        block["content"] = _clip(inner, CLIPPED_RESULT_CHARS)
                        cut = True
                elif block.get("type") == "tool_use":
                    arguments = block.get("input") or {}
                    for key, value in list(arguments.items()):
                        if isinstance(value, str) and len(value) > CLIPPED_RESULT_CHARS:
                            arguments[key] = _clip(value, CLIPPED_RESULT_CHARS)
                            cut = True
        if cut:
            self.prompt_tokens = 0
            self.added_chars = 0
        return cut


def _clip(text: str, limit: int) -> str:
    return text[:limit] + f"\n… ({len(text) - limit} more characters cut to save context)"


def transcript_for_summary(messages: list[JSON], max_chars: int) -> str:
    """The older turns as plain text for the summarizer, each block cut to a few
    thousand characters and the whole to ``max_chars`` (newest kept)."""
    parts: list[str] = []
    for message in messages:
        who = "HUMAN/TOOLS" if message["role"] == "user" else "YOU"
        content = message["content"]
        blocks = [text_block(content)] if isinstance(content, str) else content
        for block in blocks:
            kind = block.get("type")
            if kind == "text":
                body = str(block["text"])
            elif kind == "tool_use":
                body = f"[tool call {block.get('name')}] {json.dumps(block.get('input'))}"
            elif kind == "tool_result":
                inner = block.get("content", "")
                flag = " (error)" if block.get("is_error") else ""
                shown = inner if isinstance(inner, str) else json.dumps(inner)
                body = f"[tool result{flag}] {shown}"
            else:
                continue  # thinking is not carried over
            if len(body) > SUMMARY_INPUT_BLOCK_CHARS:
                body = _clip(body, SUMMARY_INPUT_BLOCK_CHARS)
            parts.append(f"{who}: {body}")
    text = "\n\n".join(parts)
    if len(text) > max_chars:
        text = "… (the oldest part is cut)\n" + text[-max_chars:]
    return text


def fallback_summary(messages: list[JSON], max_chars: int = 6000) -> str:
    """A summary without a model (when the summarizer fails): the texts, tool calls and
    errors of the older turns, newest kept."""
    lines: list[str] = []
    for message in messages:
        content = message["content"]
        blocks = [text_block(content)] if isinstance(content, str) else content
        for block in blocks:
            kind = block.get("type")
            if kind == "text" and message["role"] == "assistant":
                flat = " ".join(str(block["text"]).split())
                lines.append(f"- said: {flat[:400]}")
            elif kind == "tool_use":
                arguments = block.get("input") or {}
                target = arguments.get("path") or arguments.get("file") or ""
                lines.append(f"- called {block.get('name')} {target}".rstrip())
            elif kind == "tool_result" and block.get("is_error"):
                lines.append(f"- tool error: {str(block.get('content'))[:300]}")
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = "- … (older entries cut)\n" + text[-max_chars:]
    return text or "- (nothing worth keeping)"
