"""$: what the run's agents cost: tokens (input, output, cache reads and writes) and
dollars by role and by iteration, and how much of each of the card's caps
(`loop.budget`: tokens, dollars, wall time) is used.

Everything is folded from the run's `cost_update` events (:class:`RunState`), so a replay
shows what the live run showed. While the screen is open it follows the run: a timer
looks at the fold a few times a second and redraws what moved. The scripted agent makes
no model calls, and the screen says so instead of showing tables of zeros.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.console import JustifyMethod
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from jitskit_tui.engine.state import CostTotals, RunState
from jitskit_tui.protocol.events import ROLES
from jitskit_tui.protocol.texts import one_line
from jitskit_tui.spec.model import Budget
from jitskit_tui.tui.run.feed import RunFeed
from jitskit_tui.tui.run.formatting import DASH, compact, dollars_text, elapsed_text

REFRESH_S = 0.25
"""How often the open screen looks for new cost (4 Hz)."""
BAR_WIDTH = 20
SCRIPTED_NOTE = "The scripted agent makes no model calls: no tokens, no cost."
ROLE_COLUMNS = ("role", "input", "output", "cache read", "cache write", "tokens", "dollars")
ITERATION_COLUMNS = ("#", "summary", "tokens", "dollars", *ROLES)
MIN_SUMMARY = 8
ROOMY_HEIGHT = 32


def role_rows(state: RunState) -> list[tuple[str, ...]]:
    """One row per role (all four, in pipeline order), then the total."""
    rows = [_role_row(role, state.cost.get(role) or CostTotals()) for role in ROLES]
    return [*rows, _role_row("total", state.total_cost)]


def _role_row(name: str, cost: CostTotals) -> tuple[str, ...]:
    return (
        name,
        compact(cost.input_tokens),
        compact(cost.output_tokens),
        compact(cost.cache_read_tokens),
        compact(cost.cache_write_tokens),
        compact(cost.tokens),
        cost.dollars_words,
    )


def iteration_rows(state: RunState) -> list[tuple[str, ...]]:
    """Each iteration (started, or with cost): its number, summary, tokens, dollars and
    the dollars of each role in it (a dash where a role spent nothing)."""
    numbers = sorted(set(state.iterations) | set(state.cost_by_iteration))
    rows: list[tuple[str, ...]] = []
    for n in numbers:
        it = state.iterations.get(n)
        summary = ""
        if it is not None:
            summary = it.summary or it.plan_title or ("…" if it.state == "running" else "")
        cost = state.cost_by_iteration.get(n) or CostTotals()
        roles = state.cost_by_iteration_role.get(n, {})
        by_role = (roles.get(r) or CostTotals() for r in ROLES)
        rows.append(
            (
                str(n),
                summary or DASH,
                compact(cost.tokens) if cost.spent else DASH,
                cost.dollars_words if cost.spent else DASH,
                *(part.dollars_words if part.spent else DASH for part in by_role),
            )
        )
    return rows


@dataclass(frozen=True)
class CapUse:
    """One cap of the card's budget and how much of it the run used."""

    name: str
    used: float
    cap: float | None

    @property
    def fraction(self) -> float | None:
        return self.used / self.cap if self.cap else None

    def amount(self, value: float) -> str:
        if self.name == "tokens":
            return compact(value)
        if self.name == "dollars":
            return dollars_text(value)
        return elapsed_text(value)

    def words(self) -> str:
        """``1.23M of 2.00M (62%)``, or ``1.23M used; the card sets no cap``."""
        fraction = self.fraction
        if self.cap is None or fraction is None:
            return f"{self.amount(self.used)} used; the card sets no cap"
        reached = " · cap reached" if fraction >= 1 else ""
        return f"{self.amount(self.used)} of {self.amount(self.cap)} ({fraction:.0%}){reached}"


def cap_uses(state: RunState, budget: Budget, seconds: float) -> list[CapUse]:
    total = state.total_cost
    return [
        CapUse("tokens", float(total.tokens), float(budget.tokens) if budget.tokens else None),
        CapUse("dollars", total.dollars, budget.dollars),
        CapUse("wall time", seconds, budget.wall_time),
    ]


def _bar(fraction: float) -> Content:
    filled = min(BAR_WIDTH, round(min(1.0, fraction) * BAR_WIDTH))
    style = "$text-error" if fraction >= 1 else "$text-warning" if fraction >= 0.8 else "$accent"
    return Content.from_markup(
        f"[{style}]$full[/][$text-muted]$empty[/]",
        full="█" * filled,
        empty="░" * (BAR_WIDTH - filled),
    )


def budget_content(uses: list[CapUse]) -> Content:
    lines: list[Content] = []
    for use in uses:
        head = Content.from_markup("[$text-muted]$name[/]", name=f"{use.name:<10}")
        fraction = use.fraction
        if fraction is None:
            lines.append(head + Content(use.words()))
        else:
            lines.append(head + _bar(fraction) + Content(f" {use.words()}"))
    return Content("\n").join(lines)


class CostScreen(ModalScreen[None]):
    """Esc, q or $ close it; ↑↓ scroll when the iterations do not fit."""

    BINDINGS = [Binding("escape,q,dollar_sign", "close", "Close", show=False)]

    def __init__(self, feed: RunFeed) -> None:
        super().__init__()
        self._feed = feed
        self._budget: Budget | None = None
        self._budget_problem = ""
        self._shown_key: tuple[float, ...] | None = None
        self._width = 0
        self._budget_shown: Content | None = None

    @property
    def state(self) -> RunState:
        return self._feed.view.state

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.height >= ROOMY_HEIGHT, "-roomy")
        with Vertical(classes="dialog cost"):
            yield Label(f"Cost of {self._feed.name}", classes="dialog-title")
            with VerticalScroll(id="cost-body"):
                yield Static(id="cost-summary")
                yield Static(Content("reading the caps from the run's card…"), id="cost-budget")
                yield DataTable[Text](id="cost-roles", cursor_type="none", zebra_stripes=True)
                yield DataTable[Text](id="cost-iterations", cursor_type="none", zebra_stripes=True)
            yield Static(
                "↑↓ scroll · follows the run while open · Esc close", classes="dialog-note"
            )

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.can_focus = False  # read, not navigated: ↑↓ scroll the page
        self._fit(self.app.size.height)
        self.query_one("#cost-body").focus()
        self._load_budget()
        self.set_interval(REFRESH_S, self._follow)
        self.call_after_refresh(self._follow)

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.height)
        self._shown_key = None
        self.call_after_refresh(self._follow)

    def _fit(self, height: int) -> None:
        """The figures scroll within the dialog (90% of the screen), under the title and
        above the note; a tall terminal has room to space the tables out, 80x24 needs
        every row."""
        roomy = height >= ROOMY_HEIGHT
        self.set_class(roomy, "-roomy")
        chrome = 2 + 2 + (3 if roomy else 1)  # the border, the title, the note
        self.query_one("#cost-body").styles.max_height = max(3, int(height * 0.9) - chrome)

    @work(exclusive=True, group="cost-budget", exit_on_error=False)
    async def _load_budget(self) -> None:
        from jitskit_tui.spec import SpecError, load_spec

        path = self._feed.ws.spec_file
        try:
            spec = await asyncio.to_thread(load_spec, path)
        except (SpecError, OSError) as exc:
            self._budget_problem = f"{path}: the run's card cannot be read ({exc}); caps unknown"
        else:
            self._budget = spec.loop.budget
        self._show_budget()

    # -- following the run ---------------------------------------------------------------

    def _follow(self) -> None:
        """Redraws what moved since the last look (the timer's tick)."""
        self._show_budget()
        # The tables show cost (every update moves the totals) and the iterations' summaries.
        total = self.state.total_cost
        width = self.query_one("#cost-iterations", DataTable).size.width
        moved = self._feed.view.revisions["iterations"]
        key: tuple[float, ...] = (total.tokens, total.dollars, moved, width)
        if key == self._shown_key:
            return
        self._shown_key = key
        self._width = width
        self._show_tables()

    def _seconds(self) -> float:
        live = self._feed.link.kind != "replay"
        return self._feed.view.elapsed_seconds(live=live)

    def _show_budget(self) -> None:
        widget = self.query_one("#cost-budget", Static)
        if self._budget is None:
            if self._budget_problem:
                widget.update(Content(self._budget_problem))
            return
        uses = cap_uses(self.state, self._budget, self._seconds())
        if not self.state.total_cost.spent and self._scripted():
            uses = [u for u in uses if u.name == "wall time"]
        content = budget_content(uses)
        if content != self._budget_shown:
            self._budget_shown = content
            widget.update(content)

    def _scripted(self) -> bool:
        return self.state.agent == "scripted"

    def _show_tables(self) -> None:
        state = self.state
        summary = self.query_one("#cost-summary", Static)
        roles = self.query_one("#cost-roles", DataTable)
        iterations = self.query_one("#cost-iterations", DataTable)
        paid = state.total_cost.spent
        quiet = not paid and self._scripted()
        roles.display = iterations.display = not quiet
        if quiet:
            summary.update(Content(SCRIPTED_NOTE))
            return
        total = state.total_cost
        agent = f"{state.agent} agent · " if state.agent else ""
        summary.update(
            Content.from_markup(
                "$agent[b]$tokens[/] tokens · [b]$dollars[/]$more",
                agent=agent,
                tokens=f"{total.tokens:,}",
                dollars=total.dollars_words,
                more=" · ≈: estimated at API prices (a subscription is not billed per token)"
                if total.estimated
                else ""
                if paid
                else " · no model call has been paid for yet",
            )
        )
        _fill(roles, ROLE_COLUMNS, role_rows(state), left={"role"}, total_row=True)
        rows = iteration_rows(state)
        fixed = [
            max(len(name), *(len(row[i]) for row in rows)) if rows else len(name)
            for i, name in enumerate(ITERATION_COLUMNS)
        ]
        # The summary takes what the other columns (and their padding) leave.
        room = (self._width or 70) - sum(fixed) + fixed[1] - 2 * len(fixed) - 1
        fixed[1] = max(MIN_SUMMARY, room)
        cut = [(*row[:1], one_line(row[1], fixed[1]), *row[2:]) for row in rows]
        _fill(iterations, ITERATION_COLUMNS, cut, left={"summary"}, widths=fixed)

    def action_close(self) -> None:
        self.dismiss(None)


def _fill(
    table: DataTable[Text],
    columns: tuple[str, ...],
    rows: list[tuple[str, ...]],
    *,
    left: set[str],
    widths: list[int] | None = None,
    total_row: bool = False,
) -> None:
    """Replaces the table's rows (and its columns); all but the ``left`` columns are
    figures, right-aligned."""
    table.clear(columns=True)
    # Sized here, not by `height: auto`: the table measures its rows on idle, after the
    # dialog's layout may already have been settled with it empty. Its default maximum
    # (the container's height) would give it a scrollbar of its own inside the body's.
    table.styles.height = table.styles.max_height = len(rows) + 1
    justify: list[JustifyMethod] = ["left" if name in left else "right" for name in columns]
    for i, name in enumerate(columns):
        table.add_column(
            Text(name, justify=justify[i]), key=name, width=widths[i] if widths else None
        )
    for n, row in enumerate(rows):
        style = "bold" if total_row and n == len(rows) - 1 else ""
        table.add_row(
            *(Text(cell, justify=justify[i], style=style) for i, cell in enumerate(row)),
            key=row[0],
        )
