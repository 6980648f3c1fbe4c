"""The report as Markdown: the table, then per run its chart (an SVG file beside the
report, linked), its design timeline and the best's diff in a fenced block."""

from __future__ import annotations

import re
from pathlib import Path

from jitskit_tui.report.chart import run_chart
from jitskit_tui.report.figures import RunFigures
from jitskit_tui.report.source import ReportSource
from jitskit_tui.report.table import COLUMNS, headline_line, headline_notes, row


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def chart_name(run: RunFigures) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", run.ws.name) + ".svg"


def render_markdown(source: ReportSource, charts: Path | None) -> str:
    """The report; with ``charts``, each run's chart is written there as an SVG file and
    linked (relative to the folder the report is written in: ``charts``' parent)."""
    lines = [f"# {source.title}", "", source.about, ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    for run in source.runs:
        cells = row(run)
        lines.append("| " + " | ".join(_cell(cells[c]) for c in COLUMNS) + " |")
    lines.append("")
    notes = headline_notes(source.runs)
    if notes:  # the first starts with `*`, which Markdown would take for a list
        lines += ["\\" + notes[0], "", *(f"- {note}" for note in notes[1:]), ""]
    if source.not_run:
        lines += [f"Not run yet: {', '.join(source.not_run)}.", ""]
    for run in source.runs:
        lines += _run_section(run, charts)
    return "\n".join(lines).rstrip() + "\n"


def _run_section(run: RunFigures, charts: Path | None) -> list[str]:
    lines = [f"## {run.spec_name}", "", f"Run `{run.ws.root}` ({run.status}).", ""]
    lines += [headline_line(run), ""]
    lines += [f"> The {fallback}." for fallback in run.fallbacks]
    lines += [""] if run.fallbacks else []
    for problem in run.problems:
        lines += [f"> note: {problem}", ""]
    if charts is not None:
        charts.mkdir(parents=True, exist_ok=True)
        name = chart_name(run)
        svg = run_chart(run)
        (charts / name).write_text(svg)
        lines += [f"![throughput per iteration of {run.spec_name}]({charts.name}/{name})", ""]
    else:
        lines += ["(chart: write the report to a file with --out to get its charts)", ""]
    if run.timeline:
        lines += ["### Design timeline", ""]
        for entry in run.timeline:
            lines.append(f"- **{entry.heading}**: {entry.plan}")
            if entry.result:
                lines.append(f"  - result: {entry.result}")
            if entry.critique:
                lines.append(f"  - critique: {entry.critique}")
        lines.append("")
    if run.diff_between:
        lines += [f"### The best against the first passing iteration: {run.diff_between}", ""]
        if run.diff:
            lines += ["```diff", run.diff.rstrip(), "```", ""]
        else:
            lines += ["The best is the first iteration that passed: nothing to compare.", ""]
    return lines
