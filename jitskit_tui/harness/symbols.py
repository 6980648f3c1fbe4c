"""The `integrity` gate's symbol check: a store may not replace what the harness relies on.

A store linked into the harness could define ``clock_gettime`` and slow the clock the
harness measures with, or ``malloc`` and hide its memory, or a harness function and
change what is measured. Every strong global symbol the store's objects define is
checked against the symbols the harness defines and those the shared libraries the
binary loads (libc, libstdc++, libm, libgcc) export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Symbols a store defines by contract.
ALLOWED = frozenset({"jitskit_create_store"})
# nm types of strong definitions: text, data, bss, read-only, absolute, small data.
_STRONG = frozenset("TDBRAGS")
# Weak (W, V) and indirect (i) definitions.
_WEAK = frozenset("WVi")


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


# libstdc++ exports many template instantiations that every C++ object also defines
# weakly (std::string members, say); those are harmless copies. These are not.
_SENSITIVE_CXX = re.compile(r"chrono.*now|^_Zn[wa]|^_Zd[la]|^_ZSt15set_new_handler")


def _shadows(name: str, kind: str, library: str) -> bool:
    if kind in _STRONG:
        return True
    if kind not in _WEAK:
        return False
    # A weak definition in the executable still wins over the shared library's at
    # dynamic link time: flag it for C functions and the sensitive C++ ones.
    return library != "libstdc++" or bool(_SENSITIVE_CXX.search(name))


def find_shadowing(
    store: dict[str, str], harness: dict[str, str], libraries: dict[str, dict[str, str]]
) -> list[Shadowing]:
    """Store symbols that would shadow a harness or system-library definition."""
    found: list[Shadowing] = []
    harness_defined = {n for n, k in harness.items() if k in _STRONG or k in "WV"}
    for name, kind in sorted(store.items()):
        if name in ALLOWED or (kind not in _STRONG and kind not in _WEAK):
            continue
        if kind in _STRONG and (name in harness_defined or name == "main"):
            found.append(Shadowing(name, "harness"))
            continue
        for library, exported in libraries.items():
            if name in exported and exported[name] not in "Uw" and _shadows(name, kind, library):
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
