"""Figures as the dashboard prints them: short enough for a table cell, never a bare
number without its unit, and a dash for what is not known."""

from __future__ import annotations

import re

from jitskit_tui.protocol.texts import dollars_words

DASH = "—"


def compact(value: float) -> str:
    """``1565258`` -> ``1.57M``, ``98765`` -> ``98.8k``, ``950`` -> ``950``."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            scaled = value / size
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return f"{scaled:.{digits}f}{unit}"
    return f"{value:.0f}"


def ops_text(value: float | None, *, unit: bool = True) -> str:
    if not value:
        return DASH
    return f"{compact(value)} ops/s" if unit else compact(value)


def change_text(current: float | None, previous: float | None) -> str:
    """The relative change, signed: ``+12.3%``, ``-30.6%``; a dash without both figures."""
    if not current or not previous:
        return DASH
    change = (current - previous) / previous * 100
    sign = "+" if change >= 0 else "-"
    return f"{sign}{abs(change):.1f}%"


def bytes_text(value: int | None) -> str:
    """``268435456`` -> ``256 MiB`` (the spec's units, without loading the spec models)."""
    if not value:
        return DASH
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= size:
            scaled = value / size
            return f"{scaled:.0f} {unit}" if scaled.is_integer() else f"{scaled:.1f} {unit}"
    return f"{value} B"


def tokens_text(tokens: int) -> str:
    return f"{compact(tokens)} tok"


def dollars_text(dollars: float, estimated: bool = False) -> str:
    return dollars_words(dollars, estimated)


def elapsed_text(seconds: float) -> str:
    """``151`` -> ``2:31``; ``3751`` -> ``1:02:31``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def micros_text(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f} ms"
    return f"{value:.2f} µs" if value < 10 else f"{value:.0f} µs"


def delivery_text(delivery: str) -> str:
    """When steering applies, in a few words: ``next iteration`` or ``next tool``."""
    return "next iteration" if delivery == "next-iteration" else "next tool"


_KEEPS_ITS_LINE = re.compile(r"^(\s{4,}|\t|\s*([-*+>#|]\s|\d+[.)]\s|```|#))")


def reflow(text: str) -> str:
    """Joins the lines of hard-wrapped paragraphs (plans and critiques are often wrapped
    at ~90 columns), so the pane can wrap them at its own width. Blank lines, list items,
    headings, quotes, tables and code keep their lines."""
    out: list[str] = []
    joinable = False
    in_code = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_code = not in_code
            out.append(line)
            joinable = False
            continue
        if in_code or not stripped:
            out.append(line)
            joinable = False
            continue
        if joinable and not _KEEPS_ITS_LINE.match(line):
            out[-1] = out[-1].rstrip() + " " + stripped
            continue
        out.append(line)
        joinable = not stripped.startswith(("#", "|"))
    return "\n".join(out)
