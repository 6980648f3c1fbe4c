"""Making a sweep (every card checked first, then the folder and its manifest), and
taking one up again to resume it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from jitskit_tui.launch.choices import LaunchError, RunChoices
from jitskit_tui.launch.runs import check_start
from jitskit_tui.machine_kinds import kind_for
from jitskit_tui.spec import SpecCard
from jitskit_tui.sweep.folder import SweepError, SweepFolder, new_sweep_folder, sweep_of
from jitskit_tui.sweep.manifest import SweepManifest, entries_for, load_manifest

MAX_PARALLEL = 64


@dataclass(frozen=True)
class SweepChoices:
    """A sweep's flags: the runs' choices, and how many loops run at once."""

    run: RunChoices
    parallel: int | None = None
    """``None``: every card at once on a machine per evaluation (Slurm), else 2."""


def _machine_per_evaluation(address: str) -> bool:
    kind = kind_for(address)
    return kind is not None and kind.machine_per_evaluation


def default_parallel(cards: int, machine_per_evaluation: bool) -> int:
    """Every loop at once where each evaluation gets its own node (the queue spreads
    them); two on one host, where evaluations take turns and only the agents overlap."""
    return max(1, min(cards, MAX_PARALLEL if machine_per_evaluation else 2))


def check_cards(specs: list[Path], choices: RunChoices) -> list[tuple[Path, SpecCard]]:
    """Every card loads and can run with ``choices``; else one :class:`LaunchError`
    listing every card's problems, each naming its file."""
    if not specs:
        raise LaunchError("give at least one spec card to sweep")
    cards, problems = [], []
    for path in specs:
        try:
            cards.append((path, check_start(path, choices)))
        except LaunchError as exc:
            problems += list(exc.lines) or [exc.message]
    if problems:
        raise LaunchError(problems[0], lines=tuple(problems))
    return cards


def create_sweep(
    specs: list[Path], choices: SweepChoices, workspace: Path | None, base: Path | None = None
) -> tuple[SweepFolder, SweepManifest]:
    """Checks every card, then makes the sweep's folder and manifest (no run yet)."""
    cards = check_cards(specs, choices.run)
    machines = {choices.run.machine or spec.environment.machine for _, spec in cards}
    per_evaluation = all(_machine_per_evaluation(m) for m in machines)
    folder = new_sweep_folder(workspace, base)
    try:
        manifest = SweepManifest(
            created=datetime.now(UTC),
            machine=choices.run.machine,
            parallel=choices.parallel or default_parallel(len(cards), per_evaluation),
            agent=choices.run.agent,
            agent_options=dict(choices.run.agent_options),
            iterations=choices.run.iterations,
            baselines=choices.run.baselines,
            seed=choices.run.seed,
            allow_smaller_machine=choices.run.allow_smaller_machine,
            entries=entries_for(folder, cards),
        )
        manifest.save(folder)
    except OSError as exc:
        shutil.rmtree(folder.root, ignore_errors=True)
        raise SweepError(f"{folder.root}: the sweep cannot be made: {exc}") from None
    return folder, manifest


def reopen_sweep(
    folder: SweepFolder, *, parallel: int | None, iterations: int | None
) -> SweepManifest:
    """The sweep's manifest for a resume, with a new ``parallel`` or per-run iteration
    budget when given (saved, so the next resume keeps them)."""
    manifest = load_manifest(folder)
    changes: dict[str, object] = {}
    if parallel is not None:
        changes["parallel"] = parallel
    if iterations is not None:
        changes["iterations"] = iterations
    if changes:
        manifest = manifest.model_copy(update=changes)
        manifest.save(folder)
    return manifest


def in_its_sweep(run_root: Path, choices: RunChoices) -> RunChoices:
    """``choices`` for a run resumed on its own (`jitskit resume RUN`, R in the app): one of
    a sweep's runs still takes its evaluation turns with the sweep's other runs, so on one
    host it never benchmarks beside them."""
    owner = sweep_of(run_root)
    return choices if owner is None else replace(choices, eval_turns=owner.turns)
