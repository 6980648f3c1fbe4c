"""The dashboard's summary, under the status line: the run's headline and its best (the
headline marked when the best has moved since it was measured, with how to measure it
again), the selected iteration's throughput with its interval, the driver's floor and
its decision (marked when the machine was busy), and, highlighted on a line of its own,
what must not be missed: the best fell back. One line each, cut at the terminal's width;
the tooltip has them whole, with how busy the machine was."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from jitskit_tui.tui.run.figures import busy_words, headline_line, iteration_line, notices
from jitskit_tui.tui.run.model import RunView

WARNING = "⚠"


class RunSummary(Static):
    """Two or three lines; redrawn only when what they say changed."""

    _shown: tuple[str, ...] | None = None
    _lines = 0

    def show_run(self, view: RunView, selected: int | None, how_to_measure: str) -> None:
        headline, stale = headline_line(view, how_to_measure)
        detail = iteration_line(view, selected)
        warnings = notices(view)
        busy = busy_words(view, selected)
        shown = (headline, str(stale), detail, *warnings, *busy)
        if shown == self._shown:
            return
        lines_before, self._lines = self._lines, 2 + len(warnings)
        self._shown = shown
        parts = [
            Content.from_markup(
                "[b $text-warning]$text[/]" if stale else "[b $text-accent]$text[/]",
                text=headline,
            ),
            Content(detail) if detail else Content.from_markup("[$text-muted]no iteration[/]"),
            *(
                Content.from_markup("[b $text-warning]$mark $text[/]", mark=WARNING, text=text)
                for text in warnings
            ),
        ]
        self.set_class(bool(warnings), "-warning")
        # A layout pass only when the number of lines changed.
        self.update(Content("\n").join(parts), layout=self._lines != lines_before)
        self.tooltip = "\n".join(
            [headline, detail, *(f"{WARNING} {text}" for text in [*warnings, *busy])]
        ).strip()

    @property
    def text(self) -> str:
        """What it says, as plain text (for tests and screen readers)."""
        return str(self.render())
