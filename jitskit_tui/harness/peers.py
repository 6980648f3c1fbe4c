"""The sides measured beside the candidate in one evaluation: the incumbent best, the
baselines to pair against, or the other store of a `jitskit compare`.

Each peer is uploaded and built in the candidate's own sandbox (its own folder under
``LAYOUT.peers``), so every side runs on the same machine, under the same limits and in
the same window, and the rounds interleave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Peer:
    """A side measured beside the candidate, in the same sandbox."""

    name: str
    """`incumbent`, `baseline:NAME`, or `A` in `jitskit compare`: names its trials,
    its outcome and the candidate's comparison with it."""
    store_dir: Path
    store_flags: tuple[str, ...] | None = None
    """Fixed compile flags (baseline adapters); ``None`` uses the spec's."""
    link_libraries: tuple[str, ...] = ()
    gated: bool = False
    """Run the correctness gates on it too (both sides of a compare); otherwise it is
    built and measured only, its gates judged before (the incumbent, the baselines)."""
    threshold: float | None = None
    """The ratio ``candidate / peer`` whose side matters to the caller (the incumbent's
    ``1 + min_effect``, 1 in a compare): once the interval is wholly on one side of it
    the comparison is settled and needs no more precision (docs/measurement.md)."""
