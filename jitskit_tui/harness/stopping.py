"""How many trials a benchmark runs: the settings from the card and the stopping rule.

Rounds run until the rule says stop, checked only at the fixed schedule of looks
(:func:`~jitskit_tui.harness.stats.look_schedule`), whose count the intervals are
corrected for; docs/measurement.md says why that keeps the false-win rate at 5%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jitskit_tui.harness import stats
from jitskit_tui.harness.config import Size
from jitskit_tui.protocol.measurement import Interval
from jitskit_tui.spec.model import TRIAL_SECONDS, SpecCard

WARMUP_S = 0.5
"""The warm-up cut of a trial in memory: on the demo card only the first half second
differs measurably (docs/measurement.md)."""
WARMUP_DISK_S = 1.0
"""The cut when the data directory is on disk: page cache and file growth settle later."""
FULL_TIME_FACTOR = 4
"""A full evaluation's trials may take this many times the card's `max_seconds`."""


@dataclass(frozen=True)
class TrialSettings:
    """How one evaluation's trials run: from ``spec.loop.trials`` and the size."""

    min: int
    """Rounds before the first look (a card asks for at least 2, which an interval needs;
    a caller that only wants the gates' verdicts may pin 1)."""
    max: int
    """Rounds at most (>= min)."""
    target: float
    """Stop once every watched interval's half-width is within this (0.05: ±5%)."""
    max_seconds: float
    """Wall-time cap of the trials: no round starts that would end past it (judged by
    the last round's length), and a round is never cut in half."""
    seconds: float
    """One trial's timed length, warm-up included."""
    warmup_s: float
    """The start of each trial cut from its figures."""

    def __post_init__(self) -> None:
        if not 1 <= self.min <= self.max:
            raise ValueError(f"trials need 1 <= min <= max, not min {self.min}, max {self.max}")
        if not 0 <= self.warmup_s < self.seconds:
            raise ValueError(
                f"the warm-up cut ({self.warmup_s:g}s) must be shorter than a trial "
                f"({self.seconds:g}s)"
            )

    @property
    def looks(self) -> tuple[int, ...]:
        """The rounds after which the rule looks."""
        return stats.look_schedule(self.min, self.max)

    @property
    def look_count(self) -> int:
        """What every interval of these trials is corrected for."""
        return len(self.looks)

    def pinned(self, rounds: int) -> TrialSettings:
        """The same trials, exactly ``rounds`` of them."""
        return TrialSettings(
            min=rounds,
            max=rounds,
            target=self.target,
            max_seconds=self.max_seconds,
            seconds=self.seconds,
            warmup_s=self.warmup_s,
        )


def trial_settings(spec: SpecCard, size: Size) -> TrialSettings:
    """The card's trials at ``size``: its `loop.trials`, the size's trial length, and the
    warm-up rule (never more than half a trial)."""
    trials = spec.loop.trials
    chosen = spec.loop.quick if size == "quick" else spec.loop.full
    seconds = chosen.duration or TRIAL_SECONDS[size]
    data_dir = spec.environment.data_dir
    warmup = WARMUP_DISK_S if data_dir is not None and data_dir.medium == "disk" else WARMUP_S
    return TrialSettings(
        min=trials.min,
        max=trials.max,
        target=trials.target,
        max_seconds=trials.max_seconds * (FULL_TIME_FACTOR if size == "full" else 1),
        seconds=seconds,
        warmup_s=min(warmup, seconds / 2),
    )


@dataclass(frozen=True)
class Watched:
    """An interval the stopping rule waits on."""

    interval: Interval
    threshold: float | None = None
    """The value whose side matters (the incumbent's `1 + min_effect`, 1 in a compare):
    once the interval is wholly on one side of it, more rounds cannot change the
    decision, so it is settled even when it is not yet precise."""


def stop_reason(
    rounds: int, settings: TrialSettings, watched: Sequence[Watched], elapsed_s: float
) -> str | None:
    """Why the trials stop after ``rounds`` complete rounds, or ``None`` to go on;
    ``elapsed_s`` is when the next round would end."""
    if rounds >= settings.max:
        return f"{rounds} rounds, the most the card allows"
    if elapsed_s >= settings.max_seconds and rounds >= 2:
        return (
            f"{rounds} rounds: another would pass the trials' time cap ({settings.max_seconds:g}s)"
        )
    if rounds not in settings.looks:
        return None
    if all(_done(w, settings.target) for w in watched):
        return f"every interval settled or within ±{settings.target:.0%} after {rounds} rounds"
    return None


def _done(watched: Watched, target: float) -> bool:
    if stats.precise(watched.interval, target):
        return True
    return watched.threshold is not None and stats.settled(watched.interval, watched.threshold)
