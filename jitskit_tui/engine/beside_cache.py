"""The paired comparison of two runs' stores, kept in a run's folder so it shows again
without measuring: `.jitskit/beside/<other run>.json` in the folder of side A (the naive
run, when one side is), the whole evaluation kept (every trial of both sides, the gates,
the machine and its conditions), its logs left out.

It names the two stores by run, iteration and commit: when a run's best moves on, the
comparison is still shown, as one of the stores it was measured for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from jitskit_tui.engine.compare import SIDE_A, SIDE_B, failed_sides, ratio_of
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.harness.config import Size
from jitskit_tui.protocol.measurement import Comparison
from jitskit_tui.protocol.results import EvalResult, GateResult

FOLDER = "beside"


class StoreRef(BaseModel):
    """One side's store: iteration ``iteration`` of run ``run``, as commit ``sha``."""

    model_config = ConfigDict(extra="ignore")

    run: str
    iteration: int
    sha: str
    naive: bool = False

    @property
    def label(self) -> str:
        return f"{self.run} #{self.iteration}"


class BesideMeasurement(BaseModel):
    """B/A of two runs' stores, measured paired on one machine at one time."""

    model_config = ConfigDict(extra="ignore")

    a: StoreRef
    b: StoreRef
    spec_name: str
    spec_sha256: str
    size: Size = "quick"
    measured_ts: float
    result: EvalResult
    """The comparison's evaluation: B is its store, A its peer (see
    :func:`jitskit_tui.engine.compare.compare_stores`)."""

    @property
    def comparison(self) -> Comparison | None:
        return ratio_of(self.result)

    @property
    def failures(self) -> list[tuple[StoreRef, GateResult]]:
        """The gates each side failed when measured, by side."""
        sides = {SIDE_A: self.a, SIDE_B: self.b}
        return [(sides[side], gate) for side, gate in failed_sides(self.result)]

    def side(self, run: str) -> StoreRef | None:
        return self.a if self.a.run == run else self.b if self.b.run == run else None


def cache_file(a: Workspace, b_name: str) -> Path:
    return a.state / FOLDER / f"{b_name}.json"


def save(a: Workspace, measurement: BesideMeasurement) -> Path:
    """Writes ``measurement`` into side A's folder (atomically); returns the file."""
    path = cache_file(a, measurement.b.run)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = measurement.model_copy(
        update={"result": measurement.result.model_copy(update={"logs": {}})}
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(kept.model_dump_json(indent=1) + "\n")
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class Cached:
    """A comparison found in a run's folder; ``problem`` says why a file there could not
    be read (then ``measurement`` is ``None``)."""

    path: Path
    measurement: BesideMeasurement | None
    problem: str = ""


def load(one: Workspace, other: Workspace) -> Cached | None:
    """The latest comparison of the two runs' stores, from either run's folder (either
    may have been side A); ``None`` when neither holds one."""
    found: list[Cached] = []
    for home, away in ((one, other), (other, one)):
        path = cache_file(home, away.name)
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        except OSError as exc:
            found.append(Cached(path, None, f"unreadable ({exc.strerror})"))
            continue
        try:
            measurement = BesideMeasurement.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the file"
            found.append(Cached(path, None, f"damaged ({where}: {first['msg']})"))
            continue
        if {measurement.a.run, measurement.b.run} == {home.name, away.name}:
            found.append(Cached(path, measurement))
    readable = [c for c in found if c.measurement is not None]
    if readable:
        return max(readable, key=lambda c: c.measurement.measured_ts if c.measurement else 0)
    return found[0] if found else None
