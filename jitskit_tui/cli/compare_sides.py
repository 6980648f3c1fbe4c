"""The two sides of `jitskit compare`: a store folder, ``RUN@N`` (iteration N of a run, its
`store/` as committed) or ``baseline:NAME`` (an off-the-shelf adapter)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.workspace import WorkspaceError, find_workspace
from jitskit_tui.harness.baseline_catalog import baseline_names, select
from jitskit_tui.harness.baseline_runs import adapter_flags, adapter_store
from jitskit_tui.harness.peers import Peer
from jitskit_tui.protocol.sandbox_layout import LAYOUT

FORMS = "a store folder, RUN@N (iteration N of a run), or baseline:NAME"
_ITERATION = re.compile(r"^(?P<run>.+)@(?P<n>\d+)$")


class SideError(Exception):
    """A side that cannot be compared, with what forms are accepted."""


@dataclass(frozen=True)
class Source:
    """Where one side's sources come from, as the user wrote it and as found."""

    written: str
    store_dir: Path
    baseline: str | None = None
    """The adapter's name, for `baseline:NAME`: built with its fixed flags."""

    def peer(self, name: str, *, threshold: float | None = None) -> Peer:
        """This side measured beside the other, gated like it."""
        flags, libraries = self._build(f"{LAYOUT.peer(name)}/store")
        return Peer(
            name=name,
            store_dir=self.store_dir,
            store_flags=flags,
            link_libraries=libraries,
            gated=True,
            threshold=threshold,
        )

    def candidate_build(self) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """Its flags and libraries as the evaluation's own store."""
        return self._build(LAYOUT.store)

    def _build(self, store: str) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        if self.baseline is None:
            return None, ()
        (adapter,) = select([self.baseline])
        libraries = tuple(lib.removeprefix("-l") for lib in adapter.libraries)
        return adapter_flags(adapter, store), libraries


def resolve(written: str, scratch: Path) -> Source:
    """The side ``written`` names; a run's iteration is written out under ``scratch``."""
    if written.startswith("baseline:"):
        name = written.removeprefix("baseline:")
        if name not in baseline_names():
            raise SideError(
                f"{written}: no baseline {name!r}; the baselines are {', '.join(baseline_names())}"
            )
        (adapter,) = select([name])
        return Source(written, adapter_store(adapter), baseline=name)
    folder = Path(written)
    if folder.is_dir():
        if (folder / ".jitskit").is_dir():
            raise SideError(
                f"{written}: a run, not a store; name one of its iterations as {written}@N"
            )
        return Source(written, folder)
    match = _ITERATION.match(written)
    if match is None:
        raise SideError(f"{written}: no such folder, and not {FORMS}")
    try:
        ws = find_workspace(match["run"])
        commits = gitrepo.iteration_commits(ws)
        number = int(match["n"])
        if number not in commits:
            known = ", ".join(str(n) for n in sorted(commits)) or "none yet"
            raise SideError(f"{written}: the run has no iteration {number} (iterations: {known})")
        dest = scratch / f"{ws.name}-{number}"
        gitrepo.export_store(ws, commits[number].sha, dest)
    except WorkspaceError as exc:
        raise SideError(f"{written}: {exc}") from None
    return Source(written, dest)
