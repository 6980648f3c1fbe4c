"""`WHITEBOARD.md`: the run's memory of designs tried, their numbers, and critiques.

The loop appends to it as an iteration goes (the plan, then the measured result and the
critique); it is committed with the iteration, so a fork starts from the whiteboard as it
was at the fork point.
"""

from __future__ import annotations

from pathlib import Path

from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import verdict_line


def initial(spec_name: str) -> str:
    return (
        f"# Whiteboard: {spec_name}\n\n"
        "Designs tried, their measured numbers, critiques and rejected ideas. The planner "
        "reads this before every iteration.\n"
    )


def _append(path: Path, text: str) -> None:
    current = path.read_text() if path.is_file() else ""
    if current and not current.endswith("\n"):
        current += "\n"
    path.write_text(current + text)


def add_plan(path: Path, iteration: int, title: str, text: str, steering: list[str]) -> None:
    section = f"\n## Iteration {iteration}: {title}\n\n{text.strip()}\n"
    if steering:
        section += "\nSteering from the human:\n" + "".join(f"- {s}\n" for s in steering)
    _append(path, section)


def add_result(path: Path, record: IterationRecord, critique: str) -> None:
    section = f"\n**Result**: {verdict_line(record)}\n"
    if record.result is not None:
        for gate in record.result.failed_gates:
            first = gate.detail.strip().splitlines()[0] if gate.detail.strip() else ""
            section += f"- failed {gate.name}: {first}\n"
    if critique.strip():
        section += f"\n**Critique**: {critique.strip()}\n"
    _append(path, section)


def add_note(path: Path, text: str) -> None:
    _append(path, f"\n{text.strip()}\n")
