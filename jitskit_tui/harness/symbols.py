"""The `integrity` gate's symbol check: a store may not replace what the harness relies on.

A store linked into the harness could define ``clock_gettime`` and slow the clock the
harness measures with, or ``malloc`` and hide its memory, or a harness function and
change what is measured. Every strong global symbol the store's objects define is
checked against the symbols the harness defines and those the shared libraries the
binary loads (libc, libstdc++, libm, libgcc) export.
"""

from __future__ import annotations

from dataclasses import dataclass

# Symbols a store defines by contract.
ALLOWED = frozenset({"jitskit_create_store"})
# nm types of strong definitions: text, data, bss, read-only, absolute, small data.
_STRONG = frozenset("TDBRAGS")


@dataclass(frozen=True)
class Shadowing:
    symbol: str
    owner: str
    """`harness`, or the shared library that exports it."""


def parse_nm_posix(text: str) -> dict[str, str]:
    """``nm -P`` output -> {symbol: type} (symbol versions such as ``@@GLIBC_2.2.5`` dropped)."""
    symbols: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].endswith(":"):
            continue
        name = parts[0].split("@", 1)[0]
        symbols.setdefault(name, parts[1])
    return symbols


def strong_globals(symbols: dict[str, str]) -> set[str]:
    return {name for name, kind in symbols.items() if kind in _STRONG}


def find_shadowing(
    store: dict[str, str], harness: dict[str, str], libraries: dict[str, dict[str, str]]
) -> list[Shadowing]:
    """Store symbols that would shadow a harness or system-library definition."""
    found: list[Shadowing] = []
    harness_defined = {n for n, k in harness.items() if k in _STRONG or k in "WV"}
    for name in sorted(strong_globals(store) - ALLOWED):
        if name in harness_defined or name == "main":
            found.append(Shadowing(name, "harness"))
            continue
        for library, exported in libraries.items():
            if name in exported and exported[name] not in "Uw":
                found.append(Shadowing(name, library))
                break
    return found


def describe(found: list[Shadowing], limit: int = 5) -> str:
    shown = ", ".join(f"{s.symbol} (defined by {s.owner})" for s in found[:limit])
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return (
        f"the store defines symbols that shadow the harness or system libraries: {shown}{more}. "
        "Rename them or make them static; a store may not replace timing, allocation or I/O "
        "functions the harness measures with"
    )
