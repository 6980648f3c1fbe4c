"""The dashboard's top line and the pending-steering line above the footer.

The top line always shows the loop's state, the iteration against the budget, tokens and
dollars, elapsed time, the benchmark machine and how this app is connected to the run.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from jitskit_tui.engine.state import SteeringView
from jitskit_tui.protocol.texts import one_line
from jitskit_tui.spec.units import format_span
from jitskit_tui.tui.run.figures import trial_words
from jitskit_tui.tui.run.formatting import (
    delivery_text,
    elapsed_text,
    ops_text,
    tokens_text,
)
from jitskit_tui.tui.run.model import RunView

STATE_STYLE = {
    "starting": "$text-muted",
    "baselines": "$text-secondary",
    "planning": "$text-primary",
    "coding": "$text-success",
    "building": "$text-warning",
    "gating": "$text-warning",
    "benchmarking": "$text-accent",
    "queued": "$text-warning",
    "critiquing": "$text-secondary",
    "auditing": "$text-secondary",
    "committing": "$text-muted",
    "paused": "$text-warning",
    "stopped": "$text-error",
}


def state_words(view: RunView) -> tuple[str, str]:
    """The state as shown (upper case, with what it waits on) and its style."""
    state = view.state
    shown = state.loop_state
    detail = state.loop_detail
    if shown == "stopped" and state.status in ("finished", "stopped", "aborted", "failed"):
        detail = state.status if state.status != "stopped" else ""
    live = view.live
    running = live is not None and live.running
    if not detail and running and live is not None and live.step:
        # What the evaluation is at: `GATING (concurrency)`, `BASELINES (lmdb: build)`.
        if shown == "gating":
            detail = live.step
        elif shown == "baselines":
            detail = f"{live.name}: {live.step}"
        elif live.step == "benchmark":
            # Which trial runs: `BENCHMARKING (round 3 · best #2 · warm-up)`.
            detail = trial_words(view)
    words = shown.upper() + (f" ({detail})" if detail else "")
    progress = live.progress_text() if running and live is not None else ""
    if progress:
        # How far the phase got against its budget: `load 212k/1M records · 1.8k/s · ...`.
        words += f" {progress}"
    elif running and live is not None and live.step == "benchmark" and live.last_ops_s:
        words += f" {ops_text(live.last_ops_s)}"
    elif running and live is not None and live.budget is not None and shown != "queued":
        # Not while it waits for the machine: the bound starts once the machine is ours,
        # and beside a queue it would read as the wait's limit.
        words += f" · evaluation bound {format_span(live.budget.overall_s)}"
    return words, STATE_STYLE.get(shown, "$text")


class RunStatusBar(Static):
    """``● BENCHMARKING · iteration 3 · 2/6 done · 12k tok $0.41 · 2:31 · live here · local``"""

    _shown: tuple[str, str, str] | None = None

    def show_run(self, view: RunView, connection: str, *, live: bool) -> None:
        state = view.state
        words, style = state_words(view)
        running = state.running_iteration()
        current = running.iteration if running else None
        done = state.completed
        budget = state.iterations_budget
        iteration = (
            f"iteration {current} · {done}/{budget} done"
            if current is not None
            else f"{done}/{budget} iterations"
        )
        cost = state.total_cost
        machine = view.machine_detail or state.machine or "machine unknown"
        pending = len(state.pending_steering())
        # The machine goes last: it is the longest, and cut first on a narrow terminal.
        parts = [
            iteration,
            f"{tokens_text(cost.tokens)} {cost.dollars_words}",
            elapsed_text(view.elapsed_seconds(live=live)),
            connection,
            machine,
        ]
        if pending:
            parts.insert(1, f"⚑ {pending} pending")
        if state.naive:
            # Its figures are the agent's own until the gates judge them after the fact.
            parts.insert(0, "naive experiment")
        markup = f"[b {style}]● $words[/] [$text-muted]·[/] $rest"
        shown = (markup, words, " · ".join(parts))
        if shown == self._shown:
            return
        self._shown = shown
        # One line whatever it says: no layout pass (this runs with every batch of events).
        self.update(Content.from_markup(markup, words=words, rest=shown[2]), layout=False)


class SteeringBar(Static):
    """Steering sent and not yet applied; hidden when there is none."""

    def show_pending(self, pending: list[SteeringView], *, can_edit: bool) -> None:
        if self.display != bool(pending):
            self.display = bool(pending)
        if not pending:
            return
        first = pending[0]
        when = delivery_text(first.delivery)
        more = f" (+{len(pending) - 1} more)" if len(pending) > 1 else ""
        hint = " · e edit or cancel" if can_edit else ""
        self.update(
            Content.from_markup(
                "[b $text-warning]⚑ pending[/] $id ($when): “$text”$more[$text-muted]$hint[/]",
                id=first.id,
                when=when,
                text=one_line(first.text, 120),
                more=more,
                hint=hint,
            ),
            layout=False,
        )
