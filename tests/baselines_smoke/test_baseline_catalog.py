"""The baseline catalog: names, sources, durability and scan filtering, library versions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from jitskit_tui.harness import baseline_catalog
from jitskit_tui.harness.baseline_catalog import (
    BASELINES,
    UNKNOWN_VERSION,
    comparable,
    installed_version,
    select,
)


def _names(baselines: list[baseline_catalog.Baseline]) -> list[str]:
    return [b.name for b in baselines]


def test_catalog_holds_the_five_baselines() -> None:
    assert _names(list(BASELINES)) == ["rocksdb", "leveldb", "lmdb", "tbb-chm", "mutex-map"]


@pytest.mark.parametrize("baseline", BASELINES, ids=lambda b: b.name)
def test_each_adapter_ships_its_source_and_tuning_notes(
    baseline: baseline_catalog.Baseline,
) -> None:
    source = baseline.source_dir()
    assert (source / "adapter.cc").is_file()
    tuning = (source / "TUNING.md").read_text()
    for level in baseline.durability:
        assert level in tuning, f"{baseline.name}/TUNING.md does not say how it meets {level}"
    for include in baseline.include_dirs():
        assert (include / "baseline_support.h").is_file()


def test_in_memory_spec_compares_against_every_baseline() -> None:
    assert _names(comparable(BASELINES, "none", {"read", "upsert"})) == _names(list(BASELINES))


def test_scan_spec_keeps_only_ordered_stores() -> None:
    kept = comparable(BASELINES, "none", {"read", "scan"})
    assert _names(kept) == ["rocksdb", "leveldb", "lmdb"]


def test_crash_safe_spec_drops_in_memory_stores() -> None:
    assert _names(comparable(BASELINES, "process_crash", {"read"})) == [
        "rocksdb",
        "leveldb",
        "lmdb",
    ]
    assert _names(comparable(BASELINES, "power_loss", {"read", "scan"})) == [
        "rocksdb",
        "leveldb",
        "lmdb",
    ]


def test_unknown_durability_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="power_loss"):
        comparable(BASELINES, "eventually", {"read"})


def test_select_names_unknown_baselines_and_lists_known_ones() -> None:
    assert _names(select(["lmdb", "rocksdb"])) == ["rocksdb", "lmdb"]
    assert len(select(None)) == len(BASELINES)
    with pytest.raises(ValueError, match=r"unknown baseline redis.*rocksdb, leveldb"):
        select(["redis", "lmdb"])


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="no dpkg on this machine")
def test_library_version_comes_from_dpkg() -> None:
    want = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "librocksdb-dev"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert BASELINES[0].library_version() == want


def test_library_version_is_unknown_without_dpkg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed_version.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        assert installed_version("librocksdb-dev") == UNKNOWN_VERSION
    finally:
        installed_version.cache_clear()


def test_library_version_is_unknown_for_a_missing_package() -> None:
    assert installed_version("jitskit-no-such-package") == UNKNOWN_VERSION
