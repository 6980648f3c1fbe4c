"""A non-editable install finds everything it needs at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (built,) = out.glob("jitskit_tui-*.whl")
    return built


def test_wheel_ships_specs_styles_and_harness(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "jitskit_tui/specs/demo.yaml" in names
    assert "jitskit_tui/harness/cpp/include/jitskit/kvstore.h" in names
    shipped_specs = {n for n in names if n.startswith("jitskit_tui/specs/")}
    assert len(shipped_specs) == len(list((REPO / "specs").glob("*.yaml")))


def test_installed_copy_validates_its_own_demo_card(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    # Run from an empty directory so nothing can come from the checkout.
    code = (
        "import jitskit_tui, jitskit_tui.paths as p;"
        f"assert str(p.PACKAGE_ROOT).startswith({str(target)!r}), jitskit_tui.__file__;"
        "from jitskit_tui.cli.main import main; import sys;"
        "sys.argv=['jitskit','validate',str(p.default_spec())]; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert result.returncode == 0, result.stderr
    assert "demo: YCSB-A" in result.stdout
