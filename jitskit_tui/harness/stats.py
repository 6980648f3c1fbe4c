"""The statistics of trials: intervals on throughputs and paired ratios, verdicts, and the
schedule of looks the stopping rule checks.

Pure functions; docs/measurement.md says why each choice was made. In short:

- a figure's point is the median of its trials, or of the paired per-round ratios;
- its interval is a t-interval on the logarithms (throughputs are positive and their
  noise is multiplicative, so ratios are symmetric in log space: A/B's interval is the
  reciprocal of B/A's), exponentiated;
- the level is corrected for the number of looks in a fixed schedule (Bonferroni): the
  trials may stop at any look, and the reported interval is still a 95% interval, so
  looking repeatedly does not raise the rate of false wins above 5%.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

from jitskit_tui.protocol.measurement import Comparison, Interval, Verdict

LEVEL = 0.95
MAX_LOOKS = 4
"""The schedule has at most this many looks: more looks would each cost precision (the
corrected level widens every interval) for little earlier stopping."""


def look_schedule(first: int, last: int) -> tuple[int, ...]:
    """The rounds at which the stopping rule looks: ``first, first + step, ..., last``.

    ``step = max(1, ceil((last - first) / 3))``, so there are at most four looks and the
    last is always ``last``.
    """
    if first < 1 or last < first:
        raise ValueError(f"a schedule runs from min >= 1 to max >= min, not {first}..{last}")
    step = max(1, math.ceil((last - first) / (MAX_LOOKS - 1)))
    looks = list(range(first, last, step))
    looks.append(last)
    return tuple(looks)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("the median of no values")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# -- Student's t quantile (no SciPy in the dependencies) --------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 400):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def _regularized_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The continued fraction converges fast below the mean; above it, by symmetry.
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_upper_tail(t: float, df: int) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom, ``t >= 0``."""
    return 0.5 * _regularized_beta(df / 2.0, 0.5, df / (df + t * t))


@functools.lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t (``0.5 <= p < 1``), by bisection on its tail."""
    if not 0.5 <= p < 1.0 or df < 1:
        raise ValueError(f"t quantile needs 0.5 <= p < 1 and df >= 1, not p={p}, df={df}")
    tail = 1.0 - p
    low, high = 0.0, 1.0
    while t_upper_tail(high, df) > tail:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if t_upper_tail(mid, df) > tail:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * high:
            break
    return (low + high) / 2.0


# -- intervals ---------------------------------------------------------------------------


def log_interval(values: Sequence[float], looks: int, level: float = LEVEL) -> Interval:
    """The median of positive ``values`` with a t-interval on their logarithms at ``level``
    corrected for ``looks`` looks; no interval with fewer than two values."""
    if any(not v > 0 or math.isinf(v) for v in values):
        raise ValueError(f"intervals are over positive finite figures, got {list(values)}")
    n = len(values)
    if n == 0:
        return Interval(point=0.0, n=0, level=level, looks=looks)
    point = median(values)
    if n < 2:
        return Interval(point=point, n=n, level=level, looks=looks)
    logs = [math.log(v) for v in values]
    mean = sum(logs) / n
    spread = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    alpha = (1.0 - level) / max(1, looks)
    half = t_quantile(1.0 - alpha / 2.0, n - 1) * spread / math.sqrt(n)
    low, high = math.exp(mean - half), math.exp(mean + half)
    if low <= point <= high:
        return Interval(point=point, ci_low=low, ci_high=high, n=n, level=level, looks=looks)
    # A skewed handful of trials can put the median outside the mean's interval; the
    # interval's centre is then the honest point.
    return Interval(
        point=math.exp(mean),
        ci_low=low,
        ci_high=high,
        n=n,
        level=level,
        looks=looks,
        point_is="centre",
    )


def paired_ratios(sides: Sequence[float], others: Sequence[float]) -> list[float]:
    """``side_i / other_i`` for each round both measured."""
    if len(sides) != len(others):
        raise ValueError(f"paired figures need as many rounds: {len(sides)} and {len(others)}")
    return [a / b for a, b in zip(sides, others, strict=True)]


def verdict_of(ratio: Interval) -> Verdict:
    """`faster` when the whole interval is above 1, `slower` below 1, else `same`."""
    if ratio.ci_low is not None and ratio.ci_low > 1.0:
        return "faster"
    if ratio.ci_high is not None and ratio.ci_high < 1.0:
        return "slower"
    return "same"


def compare(sides: Sequence[float], others: Sequence[float], other: str, looks: int) -> Comparison:
    """One side's paired comparison with ``other`` over the rounds both measured."""
    ratio = log_interval(paired_ratios(sides, others), looks)
    return Comparison(other=other, ratio=ratio, verdict=verdict_of(ratio))


def precise(interval: Interval, target: float) -> bool:
    """Whether the interval is within ``target`` (0.05: ±5%) of its point."""
    width = interval.half_width
    return width is not None and width <= target


def settled(interval: Interval, threshold: float) -> bool:
    """Whether more trials cannot change which side of ``threshold`` the ratio is on."""
    if interval.ci_low is None or interval.ci_high is None:
        return False
    return interval.ci_low >= threshold or interval.ci_high < threshold
