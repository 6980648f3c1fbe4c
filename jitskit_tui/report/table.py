"""The results table: one row per run, the paper's columns, in words both renderers use
(every ratio, interval and throughput through :mod:`jitskit_tui.protocol.texts`)."""

from __future__ import annotations

from collections.abc import Sequence

from jitskit_tui.protocol.texts import ops_s, throughput_text
from jitskit_tui.report.figures import RunFigures

COLUMNS = (
    "spec",
    "workload",
    "guarantees",
    "machine",
    "best comparable baseline",
    "baseline throughput",
    "synthesized throughput",
    "headline ratio",
    "iterations",
    "gates",
    "cost",
)
MISSING = "—"
NOT_HEADLINE = "*"
HEADLINE_MISSING = (
    f"{NOT_HEADLINE} Not the headline: the best iteration's in-loop figures (at the loop's "
    "size, on the card's own trace), because"
)
"""Said under the table when some row is not a headline, followed by each run's reason."""


def baseline_words(run: RunFigures) -> str:
    """Measured beside the row's store, with its interval; else its cached figure."""
    if run.baseline_throughput is not None:
        return throughput_text(run.baseline_throughput)
    if run.baseline_ops_s:
        return f"{ops_s(run.baseline_ops_s)} (cached: measured alone, at another time)"
    return MISSING


def store_words(run: RunFigures) -> str:
    """``1,234,567 ops/s [...] over 3 trials (iteration 4, full size)``."""
    if run.store_throughput is not None:
        figure = throughput_text(run.store_throughput)
    elif run.store_ops_s:
        figure = ops_s(run.store_ops_s)
    else:
        return MISSING
    size = f", {run.store_size} size" if run.store_size else ""
    return figure + (f" (iteration {run.best_iteration}{size})" if run.best_iteration else "")


def ratio_words(run: RunFigures) -> str:
    """The headline (``2.21x [2.05-2.38] vs tbb-chm``), else the best's in-loop ratio
    marked as not the headline (see :data:`HEADLINE_MISSING`)."""
    if run.headline:
        return run.ratio
    return f"{run.ratio or MISSING} {NOT_HEADLINE}"


def headline_notes(runs: Sequence[RunFigures]) -> list[str]:
    """What the table's ``*`` means and, per run without a headline, why it has none."""
    missing = [run for run in runs if run.headline_missing]
    if not missing:
        return []
    return [f"{HEADLINE_MISSING}:", *(f"{run.spec_name}: {run.no_headline}" for run in missing)]


def headline_line(run: RunFigures) -> str:
    """The run's section says what its headline is and how it was measured, or why it
    has none."""
    if run.headline:
        return f"Headline: {run.ratio}, {run.headline_about}."
    return f"No headline: {run.no_headline}."


def cost_words(run: RunFigures) -> str:
    cost = run.cost
    if not cost.spent:
        return "$0.00 (no model calls)"
    return f"{cost.dollars_words} ({cost.tokens:,} tokens)"


def row(run: RunFigures) -> dict[str, str]:
    """The run's cells, by column."""
    iterations = f"{run.completed}/{run.budget}" + (
        f" ({run.passing} passed)" if run.completed else ""
    )
    return {
        "spec": run.spec_name,
        "workload": run.workload or MISSING,
        "guarantees": run.guarantees or MISSING,
        "machine": run.machine or MISSING,
        "best comparable baseline": run.baseline or "not measured",
        "baseline throughput": baseline_words(run),
        "synthesized throughput": store_words(run),
        "headline ratio": ratio_words(run),
        "iterations": iterations,
        "gates": run.gates,
        "cost": cost_words(run),
    }
