"""`jitskit report` of a sweep and of a run: the paper's table with each run's own
figures, each with its interval (the run's headline, else its best's in-loop figures
marked and why), each run's throughput chart, design timeline and best diff, as Markdown
(charts as SVG files beside it) and as one HTML page that opens offline in real headless
Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from chromium import rendered_dom, screenshot
from PIL import Image
from sweepkit import run_cli, svg_group

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import IterationFinished
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import RANGE_DASH, TIMES
from jitskit_tui.report.table import MISSING
from jitskit_tui.sweep.folder import SweepFolder
from jitskit_tui.sweep.manifest import load_manifest

from support.demo_run import RATIO, DemoRun, with_interval

Swept = tuple[Path, subprocess.CompletedProcess[str]]


def best_figures(folder: Path) -> dict[str, tuple[int, float]]:
    """Each run's best iteration and its throughput, from its own log."""
    found = {}
    for entry in load_manifest(SweepFolder(folder)).entries:
        state = RunState.from_events(
            read_events(folder / entry.workspace / ".jitskit/events.jsonl")
        )
        assert state.best_iteration is not None and state.best_ops_s is not None
        found[entry.spec_name] = (state.best_iteration, state.best_ops_s)
    return found


def test_markdown_report_has_the_table_charts_and_timelines(swept: Swept, tmp_path: Path) -> None:
    folder, _ = swept
    out = tmp_path / "out" / "results.md"
    done = run_cli("report", str(folder), "--out", str(out), timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "| spec | workload | guarantees | machine | best comparable baseline |" in text
    for name, (iteration, ops) in best_figures(folder).items():
        row = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        # The best's throughput over its trials, with its interval, at the loop's size.
        assert re.search(
            rf"\| {ops:,.0f} ops/s \[[\d,]+{RANGE_DASH}[\d,]+\] over \d+ trials "
            rf"\(iteration {iteration}, quick size\) \| {MISSING} \* \|",
            row,
        ), row
        assert "| 2/2 (2 passed) |" in row and "local: " in row and "not measured" in row
        assert f"## {name}" in text
        # No baseline, so no headline: the run's end said why, and the report says it.
        why = f"the run was started without baselines; `jitskit confirm {folder}"
        assert f"- {name}: {why}" in text and f"No headline: {why}" in text
    assert "\\* Not the headline: the best iteration's in-loop figures" in text
    charts = re.findall(r"!\[[^\]]*\]\((results-charts/[^)]+\.svg)\)", text)
    assert len(charts) == 2
    for chart in charts:
        svg = (out.parent / chart).read_text()
        assert svg.startswith("<svg") and "throughput per iteration" in svg
    assert text.count("- **Iteration 1: Reference store, sharded ordered maps**") == 2
    assert "### The best against the first passing iteration" in text

    shown = run_cli("report", str(folder), timeout=120)  # to the terminal
    assert shown.returncode == 0 and shown.stdout.startswith(
        f"# jitskit results: sweep {folder.name}"
    )


def test_html_report_is_one_offline_page_chromium_renders(swept: Swept, tmp_path: Path) -> None:
    folder, _ = swept
    page = tmp_path / "report.html"
    done = run_cli("report", str(folder), "--format", "html", "--out", str(page), timeout=120)
    assert done.returncode == 0, done.stderr
    html = page.read_text()
    # Self-contained: nothing to fetch, no script.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "<script" not in html and "url(http" not in html

    dom = rendered_dom(page, tmp_path / "profile")
    table = dom[dom.index('<table class="results">') : dom.index("</table>")]
    for name, (iteration, ops) in best_figures(folder).items():
        assert f"<td>{name}</td>" in table
        assert re.search(rf">{ops:,.0f} ops/s \[[^<]+\(iteration {iteration}, quick size\)<", table)
    workspaces = [e.workspace for e in load_manifest(SweepFolder(folder)).entries]
    for ws in workspaces:  # each run's chart rendered, with its passing iterations drawn
        section = dom[dom.index(f'id="run-{ws}"') :]
        assert "<svg" in section[: section.index("</svg>")]
        assert f'id="{ws}-passed"' in section and f'id="{ws}-best"' in section

    png = screenshot(page, tmp_path / "report.png", tmp_path / "profile-2")
    with Image.open(png) as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
    assert dark > 5000, "the page rendered (almost) blank"


def test_a_single_runs_report_and_a_name_that_is_nothing(swept: Swept, tmp_path: Path) -> None:
    folder, _ = swept
    run = folder / load_manifest(SweepFolder(folder)).entries[1].workspace
    done = run_cli("report", str(run), timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| tiny")]
    assert len(rows) == 1 and rows[0].startswith("| tiny-reads |")

    missing = run_cli("report", str(tmp_path / "nothing"), timeout=60)
    assert missing.returncode == 2
    assert "no such workspace" in missing.stderr and "or give a sweep's folder" in missing.stderr


@pytest.mark.slow
def test_a_runs_headline_is_its_row_and_its_chart_has_whiskers_and_the_baseline_band(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    """The demo measured beside the real baselines: the row is its headline, each figure
    with its interval; the chart draws every passing iteration's interval, what each
    decided, and the baseline measured beside each as a line in its band."""
    events = read_events(demo_run.events)
    headline = RunState.from_events(events).headline
    assert headline is not None and headline.against is not None, demo_run.done.stdout[-2000:]
    chosen, beside = headline.headline_comparison, headline.against_throughput
    store = headline.throughput
    assert chosen is not None and beside is not None and store is not None
    page = tmp_path / "demo.html"
    done = run_cli("report", str(demo_run.ws), "--format", "html", "--out", str(page))
    assert done.returncode == 0, done.stderr
    dom = rendered_dom(page, tmp_path / "profile")

    table = dom[dom.index('<table class="results">') : dom.index("</table>")]
    name = headline.against.removeprefix("baseline:")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells[4:8] == [
        name,
        f"{with_interval(beside, ',.0f', ' ops/s')} over {beside.n} trials",
        f"{with_interval(store, ',.0f', ' ops/s')} over {store.n} trials "
        f"(iteration {headline.best_iteration}, full size)",
        f"{with_interval(chosen.ratio, RATIO, TIMES)} vs {name}",
    ], cells
    assert "Not the headline" not in dom
    assert (
        f"Headline: {headline.text}, measured at the full size on a held-out trace "
        f"(seed {headline.seed}), {headline.trials} trials paired"
    ) in dom

    tag = demo_run.ws.name
    chart = dom[dom.index(f'id="run-{tag}"') :]
    passing = [e for e in events if isinstance(e, IterationFinished) and e.verdict == "pass"]
    assert passing and len(re.findall("<path ", svg_group(chart, f"{tag}-whiskers"))) == len(
        passing
    )
    kinds = {"first": "moved", "best": "moved", "within-noise": "within-noise", "slower": "slower"}
    for event in passing:
        assert f'id="{tag}-{kinds[event.decision]}"' in chart, event.decision
    assert f'id="{tag}-band"' in chart and f'id="{tag}-baseline"' in chart
    assert "measured beside each" in chart


@pytest.mark.slow
def test_a_run_cut_before_its_headline_shows_its_best_in_loop_marked_and_says_why(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    """The demo as if killed before its headline: the row is its best iteration's own
    evaluation, paired against the baseline measured beside it, marked as no headline."""
    cut = tmp_path / "cut-run"
    shutil.copytree(demo_run.ws, cut)
    lines = (cut / ".jitskit/events.jsonl").read_text().splitlines(keepends=True)
    started = next(i for i, line in enumerate(lines) if '"purpose":"headline"' in line)
    (cut / ".jitskit/events.jsonl").write_text("".join(lines[:started]))
    state = RunState.from_events(read_events(cut / ".jitskit/events.jsonl"))
    best = state.best_iteration
    saved = cut / f"results/iteration-{best}.json"
    record = IterationRecord.model_validate_json(saved.read_text())
    assert record.vs_baseline is not None and record.result is not None
    peer = record.result.peers[record.vs_baseline.other].throughput
    store = record.result.throughput
    assert peer is not None and store is not None

    done = run_cli("report", str(cut))
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("| demo |"))
    name = record.vs_baseline.other.removeprefix("baseline:")
    assert (
        f"| {name} | {with_interval(peer, ',.0f', ' ops/s')} over {peer.n} trials "
        f"| {with_interval(store, ',.0f', ' ops/s')} over {store.n} trials "
        f"(iteration {best}, quick size) "
        f"| {with_interval(record.vs_baseline.ratio, RATIO, TIMES)} vs {name} * |"
    ) in row, row
    why = f"the run crashed before its headline was measured; `jitskit confirm {cut}` measures it"
    assert f"- demo: {why}" in done.stdout and f"No headline: {why}." in done.stdout
