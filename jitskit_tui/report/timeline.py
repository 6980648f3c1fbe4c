"""A run's design timeline, read from its whiteboard: one entry per iteration, its plan,
what it measured and the start of its critique."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TimelineEntry:
    """One design on the whiteboard: the iteration's plan and what it measured."""

    heading: str
    plan: str
    result: str = ""
    critique: str = ""


_HEADING = re.compile(r"^## Iteration (\d+): (.+)$", re.MULTILINE)
EXCERPT = 400
"""Characters of a plan or a critique kept in the timeline."""


def _excerpt(text: str) -> str:
    flat = " ".join(text.replace("#", " ").split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def whiteboard_timeline(text: str) -> list[TimelineEntry]:
    """The designs on a whiteboard, one per iteration: the title the loop wrote
    (`## Iteration N: title`), the plan (its paragraph starting `Plan:`, else its first
    that is not a heading), the measured result, and the start of the critique. A plan
    or critique that has `## Iteration N` headings of its own stays in its iteration."""
    order: list[int] = []
    titles: dict[int, str] = {}
    bodies: dict[int, list[str]] = {}
    parts = _HEADING.split(text)
    for number, title, body in zip(parts[1::3], parts[2::3], parts[3::3], strict=False):
        n = int(number)
        if n not in titles:
            order.append(n)
            titles[n] = title.strip()
        bodies.setdefault(n, []).append(body)
    entries = []
    for n in order:
        paragraphs = [p.strip() for p in "\n\n".join(bodies[n]).split("\n\n") if p.strip()]
        prose = [p for p in paragraphs if not p.startswith(("#", "**", "- "))]
        plan = next((p for p in prose if p.startswith("Plan:")), prose[0] if prose else "")
        result = next((p for p in paragraphs if p.startswith("**Result**")), "")
        at = next((i for i, p in enumerate(paragraphs) if p.startswith("**Critique**")), None)
        critique = ""
        if at is not None:
            critique = paragraphs[at].removeprefix("**Critique**:")
            if len(_excerpt(critique)) < 80 and at + 1 < len(paragraphs):
                critique += " " + paragraphs[at + 1]
        entries.append(
            TimelineEntry(
                heading=f"Iteration {n}: {titles[n]}",
                plan=_excerpt(plan.removeprefix("Plan:")),
                result=_excerpt(result.removeprefix("**Result**:")),
                critique=_excerpt(critique),
            )
        )
    return entries
