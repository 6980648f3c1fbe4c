"""Human-friendly quantities in spec cards: byte sizes, counts, durations, rates and shares.

Each accepts a plain number or a string with a unit (``256MiB``, ``2M``, ``90s``,
``1k ops/s``, ``5%``) and validates to an ``int`` (bytes, items) or a ``float`` (seconds,
items per second, a fraction).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_BYTE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1 << 10,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1 << 20,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1 << 30,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1 << 40,
}
_COUNT_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "b": 1000**3}
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}

_NUMBER_UNIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(ms|min|h|m|s)", re.IGNORECASE)


def _reject_bool(value: object, what: str) -> None:
    # YAML turns `yes`/`no` into booleans, and bool is an int subclass in Python.
    if isinstance(value, bool):
        raise ValueError(f"expected {what}, got a boolean")


def _with_unit(value: object, units: dict[str, int], what: str, example: str) -> int:
    _reject_bool(value, what)
    if isinstance(value, int):
        number: float = value
    elif isinstance(value, float) and value.is_integer():
        number = value
    elif isinstance(value, str):
        match = _NUMBER_UNIT.match(value.replace("_", ""))
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in units:
            raise ValueError(f"expected {what} such as {example}, got {value!r}")
        number = float(match.group(1)) * units[unit]
    else:
        raise ValueError(f"expected {what} such as {example}, got {type(value).__name__}")
    if number < 0:
        raise ValueError(f"{what} cannot be negative")
    if not float(number).is_integer():
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    return int(number)


def parse_bytes(value: object) -> int:
    """``268435456``, ``256MiB``, ``1GiB``, ``512MB`` -> bytes."""
    return _with_unit(value, _BYTE_UNITS, "a size in bytes", "'256MiB' or '2GiB'")


def parse_count(value: object) -> int:
    """``200000``, ``200_000``, ``200k``, ``10M`` -> an item count."""
    return _with_unit(value, _COUNT_UNITS, "a count", "200000, '200k' or '10M'")


def parse_duration(value: object) -> float:
    """``30``, ``30s``, ``1m30s``, ``2h``, ``500ms`` -> seconds."""
    _reject_bool(value, "a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts).lower() != text.lower():
            raise ValueError(f"expected a duration such as '30s', '5m' or '1h30m', got {value!r}")
        seconds = sum(float(n) * _DURATION_UNITS[u.lower()] for n, u in parts)
    else:
        raise ValueError(f"expected a duration such as '30s', got {type(value).__name__}")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


_PERCENT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*$")


def parse_share(value: object) -> float:
    """``5%`` or ``0.05`` -> 0.05: a share between 0 and 1, exclusive."""
    _reject_bool(value, "a percentage")
    if isinstance(value, int | float):
        share = float(value)
        if share >= 1:
            raise ValueError(
                f"{value!r} is not a share: write a percentage such as '5%', or a fraction "
                "below 1 such as 0.05"
            )
    elif isinstance(value, str):
        match = _PERCENT.match(value)
        if match is None:
            raise ValueError(f"expected a percentage such as '5%', got {value!r}")
        share = float(match.group(1)) / 100
    else:
        raise ValueError(f"expected a percentage such as '5%', got {type(value).__name__}")
    if not 0 < share < 1:
        raise ValueError(f"expected a percentage above 0% and below 100%, got {value!r}")
    return share


_RATE = re.compile(
    r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgb]?)\s*(?:(?:ops|operations|records|keys)?\s*/\s*s)?\s*$",
    re.IGNORECASE,
)


def parse_rate(value: object) -> float:
    """``1000``, ``1k``, ``1k/s``, ``2.5k ops/s`` -> items per second (positive)."""
    what, example = "a rate", "1000, '1k' or '1k ops/s'"
    _reject_bool(value, what)
    if isinstance(value, int | float):
        rate = float(value)
    elif isinstance(value, str):
        match = _RATE.match(value.replace("_", ""))
        if match is None:
            raise ValueError(f"expected {what} such as {example}, got {value!r}")
        rate = float(match.group(1)) * _COUNT_UNITS[match.group(2).lower()]
    else:
        raise ValueError(f"expected {what} such as {example}, got {type(value).__name__}")
    if rate <= 0:
        raise ValueError("a rate must be positive")
    return rate


def format_bytes(n: int) -> str:
    """Bytes as the largest binary unit that keeps one decimal readable: ``256 MiB``."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{n} B"


def format_count(n: int) -> str:
    """``200000`` -> ``200k``, ``10000000`` -> ``10M``."""
    for unit, size in (("G", 1000**3), ("M", 1000**2), ("k", 1000)):
        if n >= size and n % (size // 10) == 0:
            value = n / size
            return f"{value:.0f}{unit}" if value.is_integer() else f"{value:.1f}{unit}"
    return str(n)


def format_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h".replace(".0h", "h")
    if seconds >= 60:
        return f"{seconds / 60:.1f}m".replace(".0m", "m")
    return f"{seconds:g}s"


def format_amount(n: float) -> str:
    """A count the way a person says it: ``212k``, ``1M``, ``1.8k``, ``950``."""
    for unit, size in (("G", 1000**3), ("M", 1000**2), ("k", 1000)):
        if n >= size:
            value = n / size
            text = f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
            return text.removesuffix(".0") + unit
    return f"{n:.0f}" if n >= 10 or float(n).is_integer() else f"{n:.1f}"


def format_rate(per_s: float) -> str:
    """``1.8k/s``, ``10k/s``, ``250/s``."""
    return f"{format_amount(per_s)}/s"


def format_span(seconds: float) -> str:
    """A time a person reads at a glance: ``45 s``, ``2 min``, ``9.5 min``, ``1.2 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        minutes = seconds / 60
        return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min".replace(".0 ", " ")
    return f"{seconds / 3600:.1f} h"


ByteSize = Annotated[int, BeforeValidator(parse_bytes)]
Count = Annotated[int, BeforeValidator(parse_count)]
Duration = Annotated[float, BeforeValidator(parse_duration)]
Share = Annotated[float, BeforeValidator(parse_share)]
Rate = Annotated[float, BeforeValidator(parse_rate)]
