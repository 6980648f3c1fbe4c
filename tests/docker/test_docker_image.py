"""The benchmark image: a tag derived from its recipe, a mirror read from apt's own
configuration, and a small image with the compiler and the baseline libraries."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docker
import pytest

from jitskit_tui.machine.apt_sources import debian_mirror
from jitskit_tui.machine.builder import present
from jitskit_tui.machine.recipe import RECIPE, ImageRecipe


def test_tag_is_a_hash_of_the_recipe() -> None:
    assert RECIPE.tag == ImageRecipe().tag
    assert RECIPE.tag.startswith("jitskit-bench:")
    changed = replace(RECIPE, packages=(*RECIPE.packages, "gdb"))
    assert changed.tag != RECIPE.tag


def test_dockerfile_installs_the_packages_without_recommends() -> None:
    text = RECIPE.dockerfile()
    assert text.startswith(f"FROM {RECIPE.base_image}\n")
    assert "--no-install-recommends" in text
    for package in ("g++", "make", "librocksdb-dev", "libleveldb-dev", "liblmdb-dev",
                    "libtbb-dev", "strace"):  # fmt: skip
        assert package in text
    assert "/var/lib/apt/lists/*" in text


def _apt_root(tmp_path: Path, sources_list: str, deb822: dict[str, str]) -> Path:
    apt = tmp_path / "etc" / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list").write_text(sources_list)
    for name, text in deb822.items():
        (apt / "sources.list.d" / name).write_text(text)
    return tmp_path


def test_mirror_comes_from_a_deb822_sources_file(tmp_path: Path) -> None:
    root = _apt_root(
        tmp_path,
        "",
        {
            "debian.sources": "Types: deb\n# a comment\nURIs: http://mirror.test/debian\n"
            "Suites: bookworm bookworm-updates\nComponents: main\n\n"
            "Types: deb\nURIs: http://mirror.test/debian-security\n"
            "Suites: bookworm-security\nComponents: main\n",
            "other.sources": "Types: deb\nURIs: https://vendor.test/apt\nSuites: nodistro\n"
            "Components: main\n",
        },
    )
    found = debian_mirror("bookworm", root)
    assert found is not None and found.uri == "http://mirror.test/debian"


def test_mirror_comes_from_a_one_line_sources_list(tmp_path: Path) -> None:
    root = _apt_root(
        tmp_path,
        "# deb http://old.test/debian buster main\n"
        "deb [arch=amd64] http://security.test/debian-security bookworm-security main\n"
        "deb http://mirror.test/debian trixie main contrib\n",
        {},
    )
    found = debian_mirror("bookworm", root)
    assert found is not None and found.uri == "http://mirror.test/debian"


def test_no_debian_source_means_no_mirror(tmp_path: Path) -> None:
    root = _apt_root(tmp_path, "deb http://archive.test/ubuntu jammy main\n", {})
    assert debian_mirror("bookworm", root) is None


@pytest.mark.docker
def test_image_on_the_local_daemon_is_small_and_complete(docker_api: docker.APIClient) -> None:
    image = present(docker_api, RECIPE.tag)
    assert image is not None
    assert int(image["Size"]) < 600 << 20
    config = image["Config"]
    assert config["Cmd"] == ["sleep", "infinity"]
    assert "HOME=/work" in config["Env"]


def test_debootstrap_progress_is_condensed_per_phase() -> None:
    from jitskit_tui.machine.debootstrap import _Condensed

    shown: list[str] = []
    report = _Condensed(shown.append)
    for index in range(60):
        report(f"I: Retrieving pkg{index}")
        report(f"I: Validating pkg{index}")
    report("I: Base system installed successfully.")
    assert shown == [
        "I: Retrieving pkg0",
        "I: Validating pkg0",
        "I: Retrieving pkg24 (25 so far)",
        "I: Validating pkg24 (25 so far)",
        "I: Retrieving pkg49 (50 so far)",
        "I: Validating pkg49 (50 so far)",
        "I: Base system installed successfully.",
    ]
