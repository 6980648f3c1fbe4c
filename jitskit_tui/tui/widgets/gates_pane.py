"""Gates and audit: every gate and audit test across iterations, and the harness-change
proposals waiting for a decision.

Rows are gates (the evaluator's, then the audit tests with their severity), columns the
most recent iterations that fit; the detail of the cell under the cursor is spelled out
below. Enter on a proposal opens it, with approve and reject.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from jitskit_tui.engine.state import ProposalView
from jitskit_tui.protocol.texts import one_line
from jitskit_tui.tui.run.model import GateCell, RunView

NAME_WIDTH = 36
"""The widest the gate-name column gets (long audit test ids are cut)."""
CELL_WIDTH = 3


def _cell(cell: GateCell | None) -> Text:
    if cell is None:
        return Text(" ·", style="dim")
    if cell.passed:
        return Text(" ✓", style="green")
    return Text(" ✗", style="bold red") if cell.severity == "gate" else Text(" !", style="yellow")


class GatesPane(Vertical):
    """The gate matrix, the selected cell's detail, and the proposals."""

    @dataclass
    class ProposalChosen(Message):
        proposal_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._view: RunView | None = None
        self._columns: list[int] = []
        self._rows: list[str] = []
        self._proposal_ids: list[str] = []
        self._composed = False

    def compose(self) -> ComposeResult:
        yield DataTable(id="gate-matrix", cursor_type="cell", zebra_stripes=True)
        yield Static(id="gate-detail", classes="pane-detail")
        yield Static(
            Content("Harness-change proposals"), classes="pane-title", id="proposals-title"
        )
        yield OptionList(id="proposals")

    def on_mount(self) -> None:
        self._composed = True
        if self._view is not None:
            self.show_run(self._view)

    def show_run(self, view: RunView) -> None:
        """Shows ``view``'s gates (once the pane is composed, if it is not yet)."""
        self._view = view
        if not self._composed:
            return  # the dashboard builds this pane after its first frame: on_mount shows it
        table = self.query_one("#gate-matrix", DataTable)
        done = [
            n for n in sorted(view.state.iterations) if any(n in r for r in view.gates.values())
        ]
        fit = (
            max(1, (self.size.width - NAME_WIDTH - 4) // (CELL_WIDTH + 2))
            if self.size.width
            else 12
        )
        self._columns = done[-fit:]
        self._rows = view.gate_names()
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        table.add_column("gate / audit test", width=NAME_WIDTH, key="name")
        for n in self._columns:
            table.add_column(str(n), width=CELL_WIDTH, key=str(n))
        for name in self._rows:
            info = view.audit_info(name) if name.startswith("audit") else None
            label = Text(one_line(name, NAME_WIDTH - 7))
            if info is not None:
                label.append(
                    f" [{info.severity}]", style="yellow" if info.severity == "gate" else "dim"
                )
            row = view.gates.get(name, {})
            table.add_row(label, *(_cell(row.get(n)) for n in self._columns), key=name)
        if self._rows:
            table.move_cursor(row=min(cursor.row, len(self._rows) - 1), column=cursor.column)
        self._show_detail()
        self._show_proposals(view)

    @staticmethod
    def _label(view: RunView, name: str) -> Text:
        """The gate's name; an audit test's with its severity."""
        info = view.audit_info(name) if name.startswith("audit") else None
        label = Text(one_line(name, NAME_WIDTH - 7))
        if info is not None:
            style = "yellow" if info.severity == "gate" else "dim"
            label.append(f" [{info.severity}]", style=style)
        return label

    def _show_proposals(self, view: RunView) -> None:
        proposals = sorted(
            view.state.proposals.values(), key=lambda p: (p.decision is not None, p.id)
        )
        box = self.query_one("#proposals", OptionList)
        highlighted = box.highlighted
        box.clear_options()
        self._proposal_ids = [p.id for p in proposals]
        if not proposals:
            box.add_option(
                Option(
                    Content("No proposals: the auditor has not asked to change the harness."),
                    disabled=True,
                )
            )
        for proposal in proposals:
            box.add_option(Option(_proposal_line(proposal)))
        if proposals:
            keep = highlighted is not None and highlighted < len(proposals)
            box.highlighted = highlighted if keep else 0
        pending = sum(1 for p in proposals if p.decision is None)
        self.query_one("#proposals-title", Static).update(
            Content(
                f"Harness-change proposals · {pending} pending"
                if proposals
                else "Harness-change proposals"
            )
        )

    @on(DataTable.CellHighlighted, "#gate-matrix")
    def _cell_moved(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#gate-detail", Static)
        view = self._view
        table = self.query_one("#gate-matrix", DataTable)
        if view is None or not self._rows:
            detail.update(Content("No gate has run yet."))
            return
        row, column = table.cursor_coordinate
        name = self._rows[min(row, len(self._rows) - 1)]
        info = view.audit_info(name) if name.startswith("audit") else None
        about = f"{name}: {info.invariant} " if info is not None else f"{name}: "
        if column == 0 or column - 1 >= len(self._columns):
            detail.update(Content(about + "← → to pick an iteration"))
            return
        n = self._columns[column - 1]
        cell = view.gates.get(name, {}).get(n)
        if cell is None:
            detail.update(Content(f"{about}not run in iteration {n}"))
            return
        verdict = (
            "passed"
            if cell.passed
            else ("FAILED" if cell.severity == "gate" else "logged a failure")
        )
        detail.update(Content(f"iteration {n} · {name} {verdict}: {one_line(cell.detail, 600)}"))

    @on(OptionList.OptionSelected, "#proposals")
    def _proposal_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_index < len(self._proposal_ids):
            self.post_message(self.ProposalChosen(self._proposal_ids[event.option_index]))

    @property
    def highlighted_proposal(self) -> str | None:
        box = self.query_one("#proposals", OptionList)
        index = box.highlighted
        return (
            self._proposal_ids[index]
            if index is not None and index < len(self._proposal_ids)
            else None
        )


def _proposal_line(proposal: ProposalView) -> Content:
    state = {None: "○ pending", "approved": "✓ approved", "rejected": "✗ rejected"}[
        proposal.decision
    ]
    where = f" (iteration {proposal.iteration})" if proposal.iteration else ""
    return Content.from_markup(
        "[b]$state[/] $id$where: $title\n[$text-muted]$why[/]",
        state=state,
        id=proposal.id,
        where=where,
        title=proposal.title,
        why=one_line(proposal.rationale, 160),
    )
