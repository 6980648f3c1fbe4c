"""The live chart: ops/s of the benchmark running now (or the last one), trial by trial.

Each trial is one side's (the candidate, the best it is measured against, a baseline),
drawn in that side's colour and tagged on the x axis at the trial's start (``C``, ``B``,
the baseline's initial), so the sides read apart even without colour. The trials follow
one another with a gap; a vertical line marks where each round of trials begins, and a
trial's warm-up, which is cut from its figures, is drawn grey. A log from before trials
has one run: one cyan line, as before.
"""

from __future__ import annotations

from itertools import count

from jitskit_tui.tui.run.figures import incumbent_of, side_label
from jitskit_tui.tui.run.formatting import ops_text
from jitskit_tui.tui.run.live import GAP_S, LiveBench
from jitskit_tui.tui.widgets.run_chart import RunChart, y_scale

# plotext's names for the terminal's 16 colours (its "orange+" is bright yellow).
SIDE_COLOURS = {"candidate": "cyan", "incumbent": "orange+"}
BASELINE_COLOURS = ("magenta+", "blue+", "green+", "red+", "white")
WARM_COLOUR = "gray"
ROUND_COLOUR = "gray"


def side_tags(sides: list[str]) -> dict[str, str]:
    """One letter per side: ``C`` the candidate, ``B`` the best, a baseline its initial
    (a digit when that is taken)."""
    tags = {"candidate": "C", "incumbent": "B"}
    for side in sides:
        if side not in tags:
            letter = side.removeprefix("baseline:")[:1].upper() or "?"
            if letter in tags.values():
                letter = next(str(i) for i in count(1) if str(i) not in tags.values())
            tags[side] = letter
    return tags


def side_colour(side: str, sides: list[str]) -> str:
    if side in SIDE_COLOURS:
        return SIDE_COLOURS[side]
    others = [s for s in sides if s not in SIDE_COLOURS]
    index = others.index(side) if side in others else 0
    return BASELINE_COLOURS[index % len(BASELINE_COLOURS)]


class LiveOpsChart(RunChart):
    """Ops/s of the benchmark running now (or the last one), one trial after another."""

    title = "live ops/s"

    def _shown(self) -> LiveBench | None:
        view = self.view
        live = view.live if view else None
        if (live is None or not live.tick_count) and view is not None:
            live = view.last_ticked
        return live if live is not None and live.tick_count else None

    def draw(self) -> None:
        view = self.view
        live = self._shown()
        if view is None or live is None:
            self.empty("no benchmark yet")
            return
        plt = self.plt
        traces = live.traces
        sides = list(dict.fromkeys(t.side for t in traces))
        tags = side_tags(sides)
        best = incumbent_of(view, live.iteration)
        # About two points per column, shared by the trials shown.
        per_trace = max(4, (self.size.width - 10) // max(1, len(traces)))
        figures: list[float] = []
        starts: list[float] = []
        labels: list[str] = []
        last_round: int | None = None
        for trace in traces:
            xs, ys = trace.ticks.for_width(per_trace)
            if not xs:
                continue
            figures += ys
            at = [trace.start + x for x in xs]
            warm = sum(1 for x in xs if trace.warm_until is not None and x <= trace.warm_until)
            if warm:
                # The warm-up, up to its last tick, joined to the steady part after it.
                plt.plot(at[: warm + 1], ys[: warm + 1], marker="braille", color=WARM_COLOUR)
            if warm < len(xs):
                steady = slice(max(0, warm), None)
                colour = side_colour(trace.side, sides)
                plt.plot(at[steady], ys[steady], marker="braille", color=colour)
            if trace.trial is None:
                continue
            starts.append(trace.start)
            labels.append(tags[trace.side])
            if last_round is not None and trace.trial != last_round:
                plt.vline(trace.start - GAP_S / 2, ROUND_COLOUR)
            last_round = trace.trial
        y_scale(plt, figures)
        if starts:
            plt.xticks(starts, labels)
            plt.xlabel(self._legend(sides, tags, best, any(t.warm_until for t in traces)))
        else:
            plt.xlabel("s")
        plt.title(self._title(live))

    def _legend(self, sides: list[str], tags: dict[str, str], best: int | None, warm: bool) -> str:
        """What the tags, the grey and the lines mean, as much as fits under the chart
        (plotext drops a label wider than the chart)."""
        room = self.size.width - 12
        legend = ", ".join(f"{tags[s]} {side_label(s, best)}" for s in sides)
        if len(legend) > room:
            return " ".join(tags[s] for s in sides)
        extras = (" · grey: warm-up, cut", " · grey: warm-up") if warm else ()
        for extra in extras:
            if len(legend + extra) <= room:
                legend += extra
                break
        return legend + (" · │ round" if len(legend) + 10 <= room else "")

    def _title(self, live: LiveBench) -> str:
        view = self.view
        which = {
            "tool": "build_and_test",
            "baseline": f"baseline {live.name}",
            "headline": "headline",
        }.get(live.purpose, "benchmark")
        state = "running" if live.running and view is not None and live is view.live else "done"
        iteration = f"iteration {live.iteration} " if live.iteration else ""
        trace = live.current
        now = ops_text(live.last_ops_s)
        if view is not None and trace is not None and trace.trial is not None:
            best = incumbent_of(view, live.iteration)
            now += f" ({side_label(trace.side, best)}, round {trace.trial + 1})"
        return f"{iteration}{which} · {state} · now {now}"
