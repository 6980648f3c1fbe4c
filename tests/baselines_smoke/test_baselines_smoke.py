"""Every baseline adapter builds against the store contract and passes a smoke test.

A stand-in until the real harness gates run the baselines: each adapter is compiled with
the harness's warning flags, linked with `smoke.cc` and the catalog's libraries, and run
at every durability level it declares.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from jitskit_tui.harness.baseline_catalog import BASELINES, Baseline

HERE = Path(__file__).resolve().parent
CXX = "g++"
CXXFLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror"]

pytestmark = pytest.mark.skipif(shutil.which(CXX) is None, reason=f"{CXX} is not installed")


def _harness_include() -> Path:
    return Path(str(resources.files("jitskit_tui.harness") / "cpp" / "include"))


def _run(
    cmd: list[str], what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("baselines")


@pytest.fixture(scope="module")
def smoke_object(build_dir: Path) -> Path:
    out = build_dir / "smoke.o"
    _run(
        [CXX, *CXXFLAGS, f"-I{_harness_include()}", "-c", str(HERE / "smoke.cc"), "-o", str(out)],
        "compiling smoke.cc",
    )
    return out


_binaries: dict[str, Path] = {}


SmokeBuilder = Callable[[Baseline], Path]


@pytest.fixture
def smoke_binary(build_dir: Path, smoke_object: Path) -> SmokeBuilder:
    def build(baseline: Baseline) -> Path:
        if baseline.name not in _binaries:
            obj = build_dir / f"{baseline.name}.o"
            source = baseline.source_dir() / "adapter.cc"
            flags = [*CXXFLAGS, f"-I{_harness_include()}", *baseline.compile_flags()]
            _run(
                [CXX, *flags, "-c", str(source), "-o", str(obj)],
                f"compiling the {baseline.name} adapter",
            )
            binary = build_dir / f"smoke-{baseline.name}"
            objects = [str(smoke_object), str(obj)]
            _run(
                [CXX, "-pthread", *objects, *baseline.link_flags(), "-o", str(binary)],
                f"linking the {baseline.name} adapter with {' '.join(baseline.link_flags())}",
            )
            _binaries[baseline.name] = binary
        return _binaries[baseline.name]

    return build


CASES = [
    pytest.param(b, level, id=f"{b.name}-{level}") for b in BASELINES for level in b.durability
]


@pytest.mark.parametrize(("baseline", "level"), CASES)
def test_adapter_passes_smoke_at_each_declared_level(
    baseline: Baseline, level: str, smoke_binary: SmokeBuilder, tmp_path: Path
) -> None:
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    data_dir = "-" if level == "none" else str(tmp_path / "data")
    scan = "1" if baseline.supports_scan else "0"
    done = _run(
        [str(smoke_binary(baseline)), "check", level, data_dir, scan],
        f"the {baseline.name} smoke at {level}",
        env={"TMPDIR": str(scratch), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip().endswith("ok all"), done.stdout
    assert "ok scan" in done.stdout
    if level == "none":
        assert list(scratch.iterdir()) == [], "Close left its scratch directory behind"
    else:
        assert "ok reopen-keeps-data" in done.stdout


@pytest.mark.parametrize(
    "baseline", [b for b in BASELINES if b.durability == ("none",)], ids=lambda b: b.name
)
def test_in_memory_adapter_refuses_durable_levels(
    baseline: Baseline, smoke_binary: SmokeBuilder, tmp_path: Path
) -> None:
    for level in ("process_crash", "power_loss"):
        done = _run(
            [str(smoke_binary(baseline)), "unsupported", level, str(tmp_path / "data")],
            f"the {baseline.name} adapter at {level}",
        )
        assert "ok unsupported-durability" in done.stdout
