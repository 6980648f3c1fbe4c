"""Slower twins of the reference store: the same store doing a fixed amount of extra
work in every operation, so a comparison has a known answer."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "jitskit_tui" / "harness" / "stores" / "reference"

_BURN = """\
#include <cstdint>

namespace {
// The twin's extra work: a chain of xorshift steps the compiler cannot drop or shorten
// (each depends on the last, and the result escapes through an empty asm).
inline void twin_extra_work() {
  static thread_local uint64_t state = 0x9E3779B97F4A7C15ull;
  uint64_t x = state;
  for (int i = 0; i < %d; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  asm volatile("" : : "r"(x));
  state = x;
}
}  // namespace

"""

_OPERATIONS = re.compile(
    r"(Status (?:Read|Upsert|Delete|ReadModifyWrite|Scan)\([^)]*\)\s*override\s*\{)"
)


def slower_twin(dest: Path, rounds: int) -> Path:
    """A copy of the reference store in ``dest`` whose every operation first runs
    ``rounds`` xorshift steps (about a nanosecond each); returns ``dest``."""
    shutil.copytree(REFERENCE, dest)
    source = dest / "store.cc"
    text = source.read_text()
    patched, count = _OPERATIONS.subn(r"\1\n    twin_extra_work();", text)
    if count != 5:
        raise RuntimeError(f"expected the reference's five operations, patched {count}")
    source.write_text(_BURN % rounds + patched)
    return dest
