"""Time series for the charts: bounded in memory, downsampled for drawing with each
bucket's minimum and maximum kept, so a spike survives however long the series gets."""

from __future__ import annotations

from collections.abc import Sequence

MAX_POINTS = 8192
"""Past this, a series is compacted in place to half (min and max of each pair of pairs)."""


def downsample(
    xs: Sequence[float], ys: Sequence[float], buckets: int
) -> tuple[list[float], list[float]]:
    """At most ``2 * buckets`` points: each bucket's min and max, in time order.

    A series that already fits is returned as it is.
    """
    count = len(xs)
    if buckets <= 0 or count <= 2 * buckets:
        return list(xs), list(ys)
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        start = b * count // buckets
        end = (b + 1) * count // buckets
        if start >= end:
            continue
        window = range(start, end)
        low = min(window, key=ys.__getitem__)
        high = max(window, key=ys.__getitem__)
        for i in sorted({low, high}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y


class Series:
    """Points appended in time order, at most :data:`MAX_POINTS` kept."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.max_points = max_points
        self.total = 0
        """Points ever appended (the kept ones are a downsampled view past the cap)."""

    def __len__(self) -> int:
        return len(self.xs)

    def append(self, x: float, y: float) -> None:
        self.xs.append(x)
        self.ys.append(y)
        self.total += 1
        if len(self.xs) > self.max_points:
            self.xs, self.ys = downsample(self.xs, self.ys, self.max_points // 4)

    def clear(self) -> None:
        self.xs.clear()
        self.ys.clear()
        self.total = 0

    def last(self) -> float | None:
        return self.ys[-1] if self.ys else None

    def for_width(self, width: int) -> tuple[list[float], list[float]]:
        """The points to draw on a chart ``width`` cells wide (about two per cell)."""
        return downsample(self.xs, self.ys, max(1, width))
