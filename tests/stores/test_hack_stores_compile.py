"""The deliberately broken stores: the manifest is well-formed and every store compiles.

Whether each one is *caught* is checked by running the real evaluator on it
(tests/stores/catch_matrix.py); this file only keeps the collection honest and
buildable against the store contract.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

STORES = Path(__file__).resolve().parent
REPO = STORES.parent.parent
HARNESS = REPO / "jitskit_tui" / "harness" / "cpp"
CONTROL = "correct_fast"
CONTROLS = (CONTROL, "correct_slow")
"""Correct stores: fast (every durability), and slow with a sync per write (power_loss)."""
FLAGS = ("-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror")

Gate = Literal["build", "api", "concurrency", "durability", "memory", "integrity", "benchmark"]
Operation = Literal["read", "upsert", "delete", "rmw", "scan"]


class HackStore(BaseModel):
    """One entry of hacks.yaml."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    hack: str = Field(min_length=20)
    gate: Gate
    durability: Literal["none", "process_crash", "power_loss"]
    operations: list[Operation] = Field(min_length=1)
    detail_contains: list[str] = Field(min_length=1)
    budget: str | None = None
    value_size: int | None = Field(default=None, ge=32)
    object_only: bool = False
    known_hole: str | None = None
    probabilistic: bool = False

    @field_validator("detail_contains")
    @classmethod
    def lower_case(cls, words: list[str]) -> list[str]:
        for word in words:
            if not word or word != word.lower():
                raise ValueError(f"detail words must be non-empty and lower-case: {word!r}")
        return words

    @field_validator("operations")
    @classmethod
    def reads_and_writes(cls, ops: list[Operation]) -> list[Operation]:
        if "read" not in ops or "upsert" not in ops or len(set(ops)) != len(ops):
            raise ValueError(f"operations must include read and upsert, once each: {ops}")
        return ops


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stores: list[HackStore]


def load_manifest() -> Manifest:
    return Manifest.model_validate(yaml.safe_load((STORES / "hacks.yaml").read_text()))


def store_dirs() -> list[str]:
    return sorted(p.parent.name for p in STORES.glob("*/store.cc"))


MANIFEST = load_manifest()
BY_NAME = {entry.name: entry for entry in MANIFEST.stores}


def test_every_store_directory_is_in_the_manifest_and_back() -> None:
    names = [entry.name for entry in MANIFEST.stores]
    assert len(names) == len(set(names)), "a store is listed twice in hacks.yaml"
    on_disk = set(store_dirs()) - set(CONTROLS)
    assert on_disk - set(names) == set(), "store directories missing from hacks.yaml"
    assert set(names) - on_disk == set(), "hacks.yaml lists stores with no store.cc"
    assert all((STORES / name / "store.cc").is_file() for name in CONTROLS)


def test_each_store_states_its_hack_in_its_first_line() -> None:
    for name in store_dirs():
        first = (STORES / name / "store.cc").read_text().splitlines()[0]
        expected = "// Control" if name in CONTROLS else "// Hack:"
        assert first.startswith(expected), f"{name}/store.cc starts with {first!r}"


def test_scan_hacks_require_scan_and_durability_hacks_a_durable_spec() -> None:
    for entry in MANIFEST.stores:
        if entry.name.startswith("scan_"):
            assert "scan" in entry.operations, entry.name
        if entry.gate == "durability":
            assert entry.durability != "none", entry.name


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
@pytest.mark.parametrize("name", store_dirs())
def test_store_compiles_cleanly_as_an_object(name: str, tmp_path: Path) -> None:
    entry = BY_NAME.get(name)
    command = [
        "g++",
        *FLAGS,
        "-I",
        str(HARNESS / "include"),
        "-c",
        str(STORES / name / "store.cc"),
        "-o",
        str(tmp_path / "store.o"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if entry is not None and entry.gate == "build" and not entry.object_only:
        return  # its point is a failed build
    assert result.returncode == 0, f"{name}/store.cc does not compile:\n{result.stderr[-4000:]}"


def test_tamper_script_edits_a_copy_of_the_harness(tmp_path: Path) -> None:
    copy = tmp_path / "cpp"
    shutil.copytree(HARNESS, copy)
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    result = subprocess.run(
        [sys.executable, str(STORES / "harness_modified" / "tamper.py"), str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    changed = [p for p, data in before.items() if p.read_bytes() != data]
    assert len(changed) == 1, f"tamper.py should change exactly one file: {changed}"
