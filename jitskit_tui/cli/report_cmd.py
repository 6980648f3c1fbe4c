"""`jitskit report RUN|SWEEP [--format md|html] [--out PATH]`: the results table of a run
or of a sweep, with each run's chart, design timeline and best diff."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from jitskit_tui.report.source import ReportError, report_source

EXIT_USAGE = 2
EXIT_WRITE = 1


@click.command("report")
@click.argument("target", metavar="RUN|SWEEP")
@click.option(
    "--format",
    "kind",
    type=click.Choice(["md", "html"]),
    default=None,
    help="Markdown or one self-contained HTML page (default: from --out's suffix, else md).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write it (default: Markdown to the terminal, without charts; HTML to "
    "<name>-report.html here).",
)
def report(target: str, kind: Literal["md", "html"] | None, out: Path | None) -> None:
    """Write the results report of RUN or SWEEP (a folder, or a name under workspaces/).

    The table has, per run: spec, workload, guarantees, machine, the best comparable
    baseline and its throughput, the synthesized store's throughput, the headline ratio
    with its interval, iterations, gates and cost. Per run follow its throughput-per-
    iteration chart against the baseline, the design timeline from its whiteboard, and the
    diff of its best iteration against the first one that passed. A Markdown report's charts
    are SVG files in a folder beside it; the HTML page holds everything and opens offline.

    Exit 0 when written, 1 when it cannot be written, 2 when RUN|SWEEP names nothing.
    """
    if kind is None:
        kind = "html" if out is not None and out.suffix.lower() in (".html", ".htm") else "md"
    try:
        source = report_source(target)
    except ReportError as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    if kind == "md" and out is None:
        from jitskit_tui.report.markdown import render_markdown

        click.echo(render_markdown(source, charts=None), nl=False)
        return
    if out is None:
        out = Path(f"{Path(target).name or 'jitskit'}-report.html")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if kind == "md":
            from jitskit_tui.report.markdown import render_markdown

            text = render_markdown(source, charts=out.with_name(f"{out.stem}-charts"))
        else:
            from jitskit_tui.report.html_page import render_html

            text = render_html(source)
        out.write_text(text)
    except OSError as exc:
        click.echo(f"jitskit: {out}: the report cannot be written: {exc}", err=True)
        raise SystemExit(EXIT_WRITE) from None
    runs = len(source.runs)
    click.echo(f"{out}: {kind} report of {runs} run{'s' if runs != 1 else ''}")
