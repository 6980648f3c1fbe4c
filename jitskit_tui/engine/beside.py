"""Two runs of one card side by side: a naive run (the paper's baseline) beside a pipeline
run, or any two runs of a card.

Each side is one store of its run: the iteration asked for, else its best, else (no
iteration passed every gate) its last; with what its run found of it, its iterations and
cost, and for a naive run what the agent believed of each store beside what the gates
found. The two stores are compared as paired trials by the compare machinery
(:mod:`jitskit_tui.engine.compare`), the naive run's store as side A, and the result is
kept in its folder (:mod:`jitskit_tui.engine.beside_cache`). `jitskit show RUN --beside`
and the app's runs browser both use this module; the words are in `beside_text`.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.beside_cache import BesideMeasurement, StoreRef, save
from jitskit_tui.engine.compare import ITERATION_REF, compare_stores, iteration_source
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.runs import list_runs
from jitskit_tui.engine.state import IterationView, RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace
from jitskit_tui.harness.config import Size, spec_sha256
from jitskit_tui.harness.eval_run import EvalObserver
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.sandbox.base import BenchMachine
from jitskit_tui.spec import SpecCard, SpecError, load_spec

Chosen = Literal["best", "last", "asked"]
Kind = Literal["naive", "pipeline"]


class BesideError(Exception):
    """Two runs that cannot be put side by side (or measured), with what to do."""


@dataclass(frozen=True)
class RunSide:
    """One run and the store of it that is compared."""

    ws: Workspace
    state: RunState
    iteration: int
    chosen: Chosen
    spec: SpecCard
    """The card it ran (its frozen copy, `spec.yaml`)."""
    digest: str
    """The card's digest as this version reads it: two runs of one card have the same,
    whichever version wrote their logs."""
    records: dict[int, IterationRecord | None] = field(default_factory=dict)
    """Committed records: the chosen iteration's, and a naive run's every iteration's
    (``None`` where its commit holds none that reads)."""

    @property
    def kind(self) -> Kind:
        return "naive" if self.state.naive else "pipeline"

    @property
    def view(self) -> IterationView:
        return self.state.iterations[self.iteration]

    @property
    def record(self) -> IterationRecord | None:
        return self.records.get(self.iteration)

    @property
    def ref(self) -> StoreRef:
        return StoreRef(
            run=self.ws.name, iteration=self.iteration, sha=self.view.commit, naive=self.state.naive
        )

    @property
    def label(self) -> str:
        return f"{self.ws.name} #{self.iteration}"

    @property
    def committed(self) -> list[int]:
        return committed(self.state)

    @property
    def passed(self) -> list[int]:
        """Its iterations that passed every gate in the run."""
        return [n for n in self.committed if self.state.iterations[n].verdict == "pass"]


def committed(state: RunState) -> list[int]:
    return sorted(n for n, it in state.iterations.items() if it.state == "done" and it.commit)


def open_run(written: str) -> tuple[Workspace, int | None]:
    """The run ``written`` names (a path or a name under `workspaces/`), with the
    iteration when it is written ``RUN@N``."""
    try:
        return find_workspace(written), None
    except WorkspaceError as exc:
        match = ITERATION_REF.match(written)
        if match is None:
            raise BesideError(str(exc)) from None
        try:
            return find_workspace(match["run"]), int(match["n"])
        except WorkspaceError as inner:
            raise BesideError(f"{written}: {inner}") from None


def read_side(ws: Workspace, iteration: int | None = None) -> RunSide:
    """Run ``ws`` and the store of it to compare (``iteration``, else its best, else its
    last). Blocking (reads the log and git)."""
    try:
        state = RunState.from_events(read_events(ws.events))
    except (EventLogError, OSError) as exc:
        raise BesideError(f"{ws.name}: its event log cannot be read: {exc}") from None
    done = committed(state)
    if not done:
        raise BesideError(
            f"{ws.name} has no committed iteration yet, so no store to compare; wait for its "
            "first iteration (`jitskit runs` shows how far it is), or name another run"
        )
    chosen: Chosen
    if iteration is not None:
        if iteration not in done:
            raise BesideError(
                f"{ws.name} has no committed iteration {iteration} (committed: "
                f"{', '.join(map(str, done))})"
            )
        number, chosen = iteration, "asked"
    elif state.best_iteration in done:
        number, chosen = state.best_iteration, "best"
    else:
        number, chosen = done[-1], "last"
    spec = run_card(ws)
    wanted = done if state.naive else [number]
    records = {n: _record(ws, state.iterations[n].commit, n) for n in wanted}
    return RunSide(ws, state, number, chosen, spec, spec_sha256(spec), records)


def run_card(ws: Workspace) -> SpecCard:
    """The card a run ran (its frozen copy). Blocking."""
    try:
        return load_spec(ws.spec_file)
    except SpecError as err:
        first = str(err.issues[0]) if err.issues else "it does not load"
        raise BesideError(f"{ws.spec_file}: the run's card does not load: {first}") from None


def _record(ws: Workspace, commit: str, number: int) -> IterationRecord | None:
    text = gitrepo.show_file(ws, commit, f"results/iteration-{number}.json")
    try:
        return IterationRecord.model_validate_json(text) if text else None
    except ValueError:
        return None


def counterpart(side: RunSide) -> Workspace:
    """The newest run of the other kind (a pipeline run beside a naive one, a naive run
    beside a pipeline one) of the same card, in the same folder, with a committed store.
    Blocking."""
    want: Kind = "pipeline" if side.state.naive else "naive"
    base = side.ws.root.parent
    runs = [
        r
        for r in list_runs(base)
        if r.workspace.root != side.ws.root
        and r.naive == (want == "naive")
        and r.spec_name == side.spec.name
    ]
    same_card = [r for r in runs if _digest(r.workspace) == side.digest]
    with_store = [r for r in same_card if r.completed > 0]
    if with_store:
        return with_store[0].workspace
    card = side.spec.name
    if same_card:
        names = ", ".join(r.workspace.name for r in same_card[:3])
        raise BesideError(
            f"the {want} runs of card `{card}` in {base}/ ({names}) have no committed "
            "iteration yet; wait for one, or name another run with --beside RUN"
        )
    if runs:
        names = ", ".join(r.workspace.name for r in runs[:3])
        raise BesideError(
            f"the {want} runs of card `{card}` in {base}/ ({names}) ran an edited card (its "
            f"digest differs from {side.ws.name}'s), so their stores were built for other "
            f"figures; start a {want} run of this card: {_start_hint(side, want)}"
        )
    raise BesideError(
        f"no {want} run of card `{card}` in {base}/ to put beside {side.ws.name}; start "
        f"one: {_start_hint(side, want)}, or name a run with --beside RUN"
    )


def _digest(ws: Workspace) -> str | None:
    try:
        return spec_sha256(run_card(ws))
    except BesideError:
        return None


def _start_hint(side: RunSide, want: Kind) -> str:
    naive = " --agent claude-code --naive" if want == "naive" else ""
    return f"`jitskit run {side.ws.spec_file} --headless{naive}`"


def check_pair(left: RunSide, right: RunSide) -> None:
    """Raises :class:`BesideError` unless the two are different stores of one card."""
    if left.ws.root.resolve() == right.ws.root.resolve() and left.iteration == right.iteration:
        raise BesideError(
            f"both sides are {left.label}: name another run, or another iteration as "
            f"{left.ws.ref}@N"
        )
    fix = (
        "name a run of the same card, or measure the two stores on one card with "
        f"`jitskit compare SPEC {left.ws.ref}@{left.iteration} {right.ws.ref}@{right.iteration}`"
    )
    if left.spec.name != right.spec.name:
        raise BesideError(
            f"{left.ws.name} is a run of card `{left.spec.name}` and {right.ws.name} of "
            f"`{right.spec.name}`: their stores were made for different workloads; {fix}"
        )
    if left.digest != right.digest:
        raise BesideError(
            f"{left.ws.name} and {right.ws.name} are runs of card `{left.spec.name}`, "
            f"but it was edited between them (their cards' digests differ); {fix}"
        )


def orient(left: RunSide, right: RunSide) -> tuple[RunSide, RunSide]:
    """Sides A and B of the comparison: the naive run's store is A when one side is naive
    (so the ratio reads pipeline over naive), else the order given."""
    if right.kind == "naive" and left.kind == "pipeline":
        return right, left
    return left, right


def why_not_measured(a: RunSide, b: RunSide) -> str:
    """Why the two stores are not measured ('' when they can be): a store that failed a
    gate in its run, or was never evaluated, has no throughput a ratio could mean."""
    for side in (a, b):
        view = side.view
        if view.verdict == "pass" and view.outcome in ("", "evaluated"):
            continue
        how = {"best": "its best", "last": "its last; none passed every gate", "asked": "asked"}
        what = (
            f"failed the {', '.join(view.failed_gates)} gate{'s' * (len(view.failed_gates) > 1)}"
            if view.failed_gates
            else f"was not evaluated ({view.outcome or 'no verdict'})"
        )
        fix = _fix_for(side)
        return (
            f"{side.label} ({how[side.chosen]}) {what} in its run: a ratio needs two stores "
            f"that pass every gate; {fix}"
        )
    return ""


def _fix_for(side: RunSide) -> str:
    passed = side.passed
    if passed:
        return f"name one that passed, {side.ws.ref}@{passed[-1]}"
    if side.kind == "naive":
        return (
            "the naive agent made no store that passes: that is the experiment's finding "
            f"(`jitskit resume {side.ws.ref}` gives it more runs)"
        )
    return f"`jitskit resume {side.ws.ref}` runs more iterations"


def machine_label(a: RunSide, b: RunSide, given: str | None) -> str:
    """Where to measure: ``given``, else the machine both runs evaluated on, else the
    card's."""
    if given:
        return given
    if a.state.machine and a.state.machine == b.state.machine:
        return a.state.machine
    return a.spec.environment.machine


async def measure(
    a: RunSide,
    b: RunSide,
    machine: BenchMachine,
    observer: EvalObserver,
    *,
    size: Size = "quick",
) -> tuple[BesideMeasurement, Path]:
    """B/A measured as paired trials on ``machine`` (checked by the caller) and kept in
    side A's folder; returns it and the file it is in."""
    with tempfile.TemporaryDirectory(prefix="jitskit-beside-") as scratch:
        try:
            sources = [
                await asyncio.to_thread(
                    iteration_source, side.ws, side.iteration, side.view.commit, Path(scratch) / n
                )
                for n, side in (("a", a), ("b", b))
            ]
        except WorkspaceError as exc:
            raise BesideError(f"a store cannot be written out of its commit: {exc}") from None
        result = await compare_stores(
            a.spec,
            sources[0],
            sources[1],
            machine,
            observer,
            size=size,
            run_id=f"beside-{a.ws.name}",
            allow_smaller_machine=a.state.allow_smaller_machine or b.state.allow_smaller_machine,
        )
    measurement = BesideMeasurement(
        a=a.ref,
        b=b.ref,
        spec_name=a.spec.name,
        spec_sha256=a.digest,
        size=size,
        measured_ts=time.time(),
        result=result,
    )
    path = await asyncio.to_thread(save, a.ws, measurement)
    return measurement, path
