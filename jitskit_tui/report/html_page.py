"""The report as one self-contained HTML page: the table, then per run its chart (inline
SVG), its design timeline and the best's diff. Styles are inline, there is no script and
nothing is fetched, so the file opens offline in any browser and can be mailed as is."""

from __future__ import annotations

from html import escape

from jitskit_tui.report.chart import run_chart
from jitskit_tui.report.figures import RunFigures
from jitskit_tui.report.source import ReportSource
from jitskit_tui.report.table import COLUMNS, headline_line, headline_notes, row

STYLE = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 75em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; margin-top: 2em;
     border-bottom: 1px solid #ccc; } h3 { font-size: 1em; }
table.results { border-collapse: collapse; font-size: 0.85em; width: 100%; }
table.results th, table.results td { border: 1px solid #ccc; padding: 0.3em 0.5em;
     text-align: left; vertical-align: top; }
table.results th { background: #f0f0f0; }
table.results td:first-child { white-space: nowrap; font-weight: bold; }
td.number { text-align: right; font-variant-numeric: tabular-nums; min-width: 8em; }
.note { color: #666; font-size: 0.85em; } p.headline { font-weight: bold; }
p.fallback { color: #c0392b; }
.chart svg { max-width: 100%; height: auto; }
ol.timeline li { margin-bottom: 0.5em; }
ol.timeline .measured { color: #1f6fb4; } ol.timeline .critique { color: #555; }
pre.diff { background: #f8f8f8; border: 1px solid #ddd; padding: 0.5em; overflow-x: auto;
     font-size: 0.8em; line-height: 1.25; }
pre.diff .add { color: #1a7f37; background: #e6ffec; display: block; }
pre.diff .del { color: #b31d28; background: #ffebe9; display: block; }
pre.diff .hunk { color: #6f42c1; display: block; }
"""

NUMBER_COLUMNS = {"baseline throughput", "synthesized throughput", "headline ratio"}


def _table(source: ReportSource) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = []
    for run in source.runs:
        cells = row(run)
        tds = "".join(
            f'<td class="number">{escape(cells[c])}</td>'
            if c in NUMBER_COLUMNS
            else f"<td>{escape(cells[c])}</td>"
            for c in COLUMNS
        )
        body.append(f'<tr id="row-{escape(run.ws.name)}">{tds}</tr>')
    return (
        f'<table class="results"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _diff(text: str) -> str:
    lines = []
    for line in text.splitlines():
        kind = (
            "hunk"
            if line.startswith("@@")
            else "add"
            if line.startswith("+") and not line.startswith("+++")
            else "del"
            if line.startswith("-") and not line.startswith("---")
            else ""
        )
        shown = escape(line)
        lines.append(f'<span class="{kind}">{shown}</span>' if kind else shown + "\n")
    return f'<pre class="diff">{"".join(lines)}</pre>'


def _run_section(run: RunFigures) -> str:
    parts = [
        f'<section class="run" id="run-{escape(run.ws.name)}">',
        f"<h2>{escape(run.spec_name)}</h2>",
        f'<p class="note">run {escape(str(run.ws.root))} ({escape(run.status)})</p>',
        f'<p class="headline">{escape(headline_line(run))}</p>',
    ]
    parts += [f'<p class="fallback">The {escape(f)}.</p>' for f in run.fallbacks]
    parts += [f'<p class="note">note: {escape(p)}</p>' for p in run.problems]
    chart = run_chart(run)
    parts.append(f'<div class="chart">{chart}</div>')
    if run.timeline:
        items = []
        for entry in run.timeline:
            item = f"<strong>{escape(entry.heading)}</strong>: {escape(entry.plan)}"
            if entry.result:
                item += f'<br><span class="measured">measured: {escape(entry.result)}</span>'
            if entry.critique:
                item += f'<br><span class="critique">critique: {escape(entry.critique)}</span>'
            items.append(f"<li>{item}</li>")
        parts.append(f'<h3>Design timeline</h3><ol class="timeline">{"".join(items)}</ol>')
    if run.diff_between:
        parts.append(
            f"<h3>The best against the first passing iteration: {escape(run.diff_between)}</h3>"
        )
        parts.append(
            _diff(run.diff)
            if run.diff
            else "<p>The best is the first iteration that passed: nothing to compare.</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def render_html(source: ReportSource) -> str:
    notes = []
    missing = headline_notes(source.runs)
    if missing:
        reasons = "".join(f"<li>{escape(reason)}</li>" for reason in missing[1:])
        notes.append(f'<div class="note">{escape(missing[0])}<ul>{reasons}</ul></div>')
    if source.not_run:
        notes.append(f'<p class="note">Not run yet: {escape(", ".join(source.not_run))}.</p>')
    sections = "\n".join(_run_section(run) for run in source.runs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(source.title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{escape(source.title)}</h1>
<p class="note">{escape(source.about)}</p>
{_table(source)}
{"".join(notes)}
{sections}
</body>
</html>
"""
