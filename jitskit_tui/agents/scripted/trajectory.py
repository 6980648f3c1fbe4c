"""Loading a scripted trajectory (see `trajectories/FORMAT.md`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from jitskit_tui.paths import packaged

ACTIONS = ("say", "write", "edit", "delete", "read", "build_and_test", "finish")


class TrajectoryError(Exception):
    """A trajectory cannot be used (with the file, the key and what is wrong)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CoderAction(_Strict):
    """One coder move: exactly one of the action keys, with its companions."""

    say: str | None = None
    write: str | None = None
    from_: str | None = Field(default=None, alias="from")
    edit: str | None = None
    old: str | None = None
    new: str | None = None
    delete: str | None = None
    read: str | None = None
    build_and_test: dict[str, object] | None = None
    finish: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> CoderAction:
        present = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(
                f"each coder entry needs exactly one of {', '.join(ACTIONS)}; got "
                f"{', '.join(present) or 'none'}"
            )
        if self.write is not None and self.from_ is None:
            raise ValueError("`write` needs `from:` (the file holding the content)")
        if self.edit is not None and (self.old is None or self.new is None):
            raise ValueError("`edit` needs `old:` and `new:`")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


class CriticFiles(_Strict):
    pass_: str = Field(alias="pass")
    fail: str


class AuditTestEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    file: str
    severity: Literal["log", "gate"] = "log"
    invariant: str


class ProposalEntry(_Strict):
    title: str
    rationale: str
    diff: str | None = None
    """A file holding a unified diff against the harness sources."""


class AuditEntry(_Strict):
    text: str
    tests: list[AuditTestEntry] = Field(default_factory=list)
    proposals: list[ProposalEntry] = Field(default_factory=list)


class Step(_Strict):
    title: str
    plan: str
    coder: list[CoderAction] = Field(default_factory=list)
    critic: str | CriticFiles
    audit: AuditEntry | None = None


class Trajectory(_Strict):
    format: Literal[1]
    spec: str
    description: str = ""
    steps: list[Step] = Field(min_length=1)
    _root: Path = PrivateAttr(default=Path("."))

    @property
    def root(self) -> Path:
        return self._root

    def text(self, relative: str) -> str:
        """A file of the trajectory, as text."""
        return (self._root / relative).read_text()

    def step(self, number: int) -> Step | None:
        """Step ``number`` (from 1), or ``None`` past the end."""
        return self.steps[number - 1] if 1 <= number <= len(self.steps) else None


def _referenced(trajectory: Trajectory) -> list[tuple[str, str]]:
    """(where, file) for every file the trajectory points at."""
    refs: list[tuple[str, str]] = []
    for i, step in enumerate(trajectory.steps):
        where = f"steps[{i}]"
        refs.append((f"{where}.plan", step.plan))
        if isinstance(step.critic, str):
            refs.append((f"{where}.critic", step.critic))
        else:
            refs += [
                (f"{where}.critic.pass", step.critic.pass_),
                (f"{where}.critic.fail", step.critic.fail),
            ]
        for j, action in enumerate(step.coder):
            if action.from_ is not None:
                refs.append((f"{where}.coder[{j}].from", action.from_))
        if step.audit is not None:
            refs.append((f"{where}.audit.text", step.audit.text))
            refs += [
                (f"{where}.audit.tests[{k}].file", test.file)
                for k, test in enumerate(step.audit.tests)
            ]
            refs += [
                (f"{where}.audit.proposals[{k}].diff", proposal.diff)
                for k, proposal in enumerate(step.audit.proposals)
                if proposal.diff is not None
            ]
    return refs


def load_trajectory(directory: Path) -> Trajectory:
    """Reads and checks ``directory/trajectory.yaml`` and the files it points at."""
    path = directory / "trajectory.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise TrajectoryError(
            f"{path}: no such file; a trajectory is a folder with trajectory.yaml"
        ) from None
    except yaml.YAMLError as exc:
        raise TrajectoryError(f"{path}: not valid YAML: {exc}") from None
    try:
        trajectory = Trajectory.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise TrajectoryError(f"{path}: {problems}") from None
    trajectory._root = directory
    missing = [
        f"{where} ({name})"
        for where, name in _referenced(trajectory)
        if not (directory / name).is_file()
    ]
    if missing:
        raise TrajectoryError(f"{path}: missing files: {', '.join(missing[:5])}")
    ids = [t.id for s in trajectory.steps if s.audit for t in s.audit.tests]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TrajectoryError(f"{path}: audit test ids used twice: {', '.join(duplicates)}")
    return trajectory


def demo_trajectory_dir() -> Path:
    return packaged("agents", "scripted", "trajectories", "demo")
