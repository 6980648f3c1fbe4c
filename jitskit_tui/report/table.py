"""The results table: one row per run, the paper's columns, in words both renderers use."""

from __future__ import annotations

from jitskit_tui.protocol.texts import ratio_text
from jitskit_tui.report.figures import Ratio, RunFigures

COLUMNS = (
    "spec",
    "workload",
    "guarantees",
    "machine",
    "best comparable baseline",
    "baseline ops/s",
    "synthesized ops/s",
    "headline ratio",
    "iterations",
    "gates",
    "cost",
)
MISSING = "—"
HEADLINE_MISSING = "headline not measured yet: the best iteration's in-loop ratio"


def ops_words(value: float | None) -> str:
    return f"{value:,.0f}" if value else MISSING


def ratio_words(ratio: Ratio | None) -> str:
    """``2.21x [2.05-2.38]``, with ``*`` when it is not the headline (see the note)."""
    if ratio is None:
        return f"{MISSING} *"
    text = ratio_text(ratio.value)
    if ratio.ci_low is not None and ratio.ci_high is not None:
        text += f" [{ratio.ci_low:.2f}-{ratio.ci_high:.2f}]"
    return text + ("" if ratio.headline else " *")


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
        "baseline ops/s": ops_words(run.baseline_ops_s),
        "synthesized ops/s": ops_words(run.store_ops_s)
        + (f" (iteration {run.best_iteration})" if run.best_iteration else ""),
        "headline ratio": ratio_words(run.ratio),
        "iterations": iterations,
        "gates": run.gates,
        "cost": cost_words(run),
    }
