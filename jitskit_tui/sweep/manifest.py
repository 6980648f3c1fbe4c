"""A sweep's manifest, `sweep.json`: the cards it runs, the choices every run is started
with, and the folder each card's run lives in. Written once when the sweep is made (and
again when a resume changes a choice); what happened since is in the runs' own logs and
the sweep's log."""

from __future__ import annotations

import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jitskit_tui.spec import SpecCard
from jitskit_tui.sweep.folder import SweepError, SweepFolder


class SweepEntry(BaseModel):
    """One card of the sweep, and its run."""

    model_config = ConfigDict(extra="forbid")

    spec: str
    """The card's path as it was given."""
    spec_name: str
    card: str
    """The card as it was when the sweep was made, relative to the sweep folder: every
    run starts from this copy, so editing the original later changes nothing here."""
    workspace: str
    """The run's folder, relative to the sweep folder (made when the run starts)."""


class SweepManifest(BaseModel):
    """What a sweep runs and how."""

    model_config = ConfigDict(extra="forbid")

    format: int = 1
    created: datetime
    machine: str | None = None
    """The benchmark machine of every run; ``None``: each card's own."""
    parallel: int = Field(ge=1)
    """Loops running at once."""
    agent: str | None = None
    agent_options: dict[str, str] = Field(default_factory=dict)
    iterations: int | None = Field(default=None, ge=1)
    """Each run's iteration budget; ``None``: each card's `loop.iterations`."""
    baselines: bool = True
    seed: int | None = None
    allow_smaller_machine: bool = False
    """Evaluate on a machine smaller than a card asks for, every figure marked."""
    entries: list[SweepEntry]

    def save(self, folder: SweepFolder) -> None:
        """Writes the manifest atomically (a crash leaves the old one or the new one)."""
        tmp = folder.manifest.with_name(f".{folder.manifest.name}.tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        os.replace(tmp, folder.manifest)


def load_manifest(folder: SweepFolder) -> SweepManifest:
    try:
        text = folder.manifest.read_text()
    except OSError as exc:
        raise SweepError(f"{folder.manifest}: cannot be read ({exc.strerror})") from None
    try:
        return SweepManifest.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise SweepError(
            f"{folder.manifest}: not a sweep manifest this jitskit reads ({where}: "
            f"{first['msg']}); it is written by `jitskit sweep`, do not edit it by hand"
        ) from None


def entries_for(folder: SweepFolder, cards: list[tuple[Path, SpecCard]]) -> list[SweepEntry]:
    """Freezes each card into the sweep folder and names its run's folder."""
    folder.cards.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    taken: set[str] = set()
    entries = []
    for index, (path, spec) in enumerate(cards, start=1):
        copy = folder.cards / f"{index:02d}-{spec.name}.yaml"
        shutil.copyfile(path, copy)
        name = f"{spec.name}-{stamp}-{secrets.token_hex(2)}"
        while name in taken:  # the same card twice in one second
            name = f"{spec.name}-{stamp}-{secrets.token_hex(2)}"
        taken.add(name)
        entries.append(
            SweepEntry(
                spec=str(path),
                spec_name=spec.name,
                card=str(copy.relative_to(folder.root)),
                workspace=name,
            )
        )
    return entries
