"""One line naming the dashboard's panes with their number keys; the shown one stands out.

A line, not Textual's two-line tabs: at 80x24 every row counts.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

PANES: tuple[tuple[str, str], ...] = (
    ("transcript", "Transcript"),
    ("diff", "Diff"),
    ("charts", "Charts"),
    ("gates", "Gates & audit"),
    ("logs", "Logs"),
)


class PaneBar(Static):
    """``1 Transcript  2 Diff  3 Charts  4 Gates & audit  5 Logs``; click or press a number."""

    def show_pane(self, current: str, note: str = "") -> None:
        parts: list[Content] = []
        for i, (key, title) in enumerate(PANES, start=1):
            if key == current:
                parts.append(Content.from_markup(f"[b reverse $text-accent] {i} {title} [/]"))
            else:
                parts.append(
                    Content.from_markup(
                        f"[@click=screen.pane('{key}')] [$text-muted]{i}[/] {title} [/]"
                    )
                )
            parts.append(Content(" "))
        if note:
            parts.append(Content.from_markup(" [$text-muted]$note[/]", note=note))
        self.update(Content.assemble(*parts), layout=False)
