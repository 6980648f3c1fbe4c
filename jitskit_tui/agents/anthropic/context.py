"""What each role's turn tells the model, as text: the stable prefix (spec and header), the
whiteboard (bounded), iteration records, the store's files, the audit suite."""

from __future__ import annotations

import os
import re
from pathlib import Path

from jitskit_tui.protocol.agent import Brief, SteeringNote
from jitskit_tui.protocol.audit import AuditSuite
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import record_text

DIFF_CHARS = 30_000
RECORD_CHARS = 12_000
_SECTION = re.compile(r"^## Iteration (\d+)", re.MULTILINE)


def clip(text: str, limit: int, what: str = "characters") -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… (cut: {len(text) - limit} more {what})"


def stable_context(brief: Brief) -> str:
    """The part of every request that never changes during a run (cached)."""
    return (
        f"## The spec card (`spec.yaml` of run {brief.workspace.name})\n\n"
        f"```yaml\n{brief.spec_text.strip()}\n```\n\n"
        "## The store contract (`jitskit/kvstore.h`)\n\n"
        f"```cpp\n{brief.header.strip()}\n```\n"
    )


def run_line(brief: Brief) -> str:
    parent = (
        f"building on iteration {brief.parent_iteration}"
        if brief.parent_iteration
        else "starting from an empty store/"
    )
    return (
        f"Iteration {brief.iteration} of a budget of {brief.iterations_budget} ({parent}); "
        f"benchmark machine: {brief.machine}."
    )


def whiteboard_digest(text: str, max_chars: int) -> str:
    """The whiteboard, bounded: its head and the newest iterations in full, older ones as
    their title and result lines (the numbers of every design tried stay)."""
    if len(text) <= max_chars:
        return text
    starts = [m.start() for m in _SECTION.finditer(text)]
    if not starts:
        return "… (the start is cut)\n" + text[-max_chars:]
    head = text[: starts[0]].strip()
    sections = [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    budget = max_chars - len(head) - 200
    recent: list[str] = []
    for section in reversed(sections):
        if recent and sum(len(s) for s in recent) + len(section) > budget * 0.6:
            break
        recent.insert(0, clip(section, int(budget * 0.6)))
    older = sections[: len(sections) - len(recent)]
    index = [_one_line(s) for s in older]
    room = budget - sum(len(s) for s in recent)
    kept_index: list[str] = []
    for line in reversed(index):
        if sum(len(x) + 1 for x in kept_index) + len(line) > room:
            break
        kept_index.insert(0, line)
    dropped = len(index) - len(kept_index)
    brief = ["### Earlier iterations, in brief"]
    if dropped:
        brief.append(f"… ({dropped} older iterations omitted)")
    brief += kept_index
    return "\n\n".join(p for p in [head, "\n".join(brief), *recent] if p)


def _one_line(section: str) -> str:
    lines = section.splitlines()
    title = lines[0].removeprefix("## ").strip()
    result = next((ln for ln in lines if ln.startswith("**Result**")), "")
    return f"- {title}" + (f" — {result.removeprefix('**Result**: ')}" if result else "")


def record_brief(record: IterationRecord | None, what: str, *, logs: bool = False) -> str:
    if record is None:
        return f"{what}: none yet."
    return f"{what}:\n" + clip(record_text(record, logs=logs), RECORD_CHARS)


def steering_text(notes: list[SteeringNote]) -> str:
    if not notes:
        return ""
    lines = "\n".join(f"- ({n.id}) {n.text}" for n in notes)
    return (
        "Steering from the human for this iteration (it takes precedence over your own "
        f"plans where they conflict):\n{lines}"
    )


def tool_steering_text(steering_id: str, text: str) -> str:
    return (
        f"Steering from the human, received at this tool boundary ({steering_id}): {text}\n"
        "Act on it from now on; where it conflicts with the plan, it wins."
    )


def store_listing(workspace: Path) -> str:
    store = workspace / "store"
    lines = []
    for dirpath, dirnames, filenames in os.walk(store):
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", "build"))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            lines.append(
                f"- {path.relative_to(workspace).as_posix()} ({path.stat().st_size} bytes)"
            )
    return "\n".join(lines) if lines else "- (store/ is empty)"


def suite_listing(suite: AuditSuite) -> str:
    if not suite.tests:
        return "The audit suite is empty."
    lines = ["The audit suite (`audit/suite.yaml`):"]
    for test in suite.tests:
        escalated = f", escalated in {test.escalated_in}" if test.escalated_in else ""
        lines.append(
            f"- {test.id} ({test.severity}, added after iteration {test.added_in}{escalated}): "
            f"{test.invariant} [audit/{test.file}]"
        )
    return "\n".join(lines)


def parse_plan(text: str) -> tuple[str, str]:
    """(title, design) from the planner's reply: its `TITLE:` line, else its first line."""
    lines = text.strip().splitlines()
    for index, line in enumerate(lines[:8]):
        found = re.match(r"^\s*[#*\s]*title\s*[:\-]\s*(.+?)[*\s]*$", line, re.IGNORECASE)
        if found:
            rest = "\n".join(lines[:index] + lines[index + 1 :]).strip()
            return _title(found.group(1)), rest or text.strip()
    first = next((ln for ln in lines if ln.strip()), "")
    return _title(first.lstrip("#* ").strip() or "untitled design"), text.strip()


def _title(value: str) -> str:
    flat = " ".join(value.split()).strip("*_ ")
    return flat if len(flat) <= 120 else flat[:119] + "…"
