"""The connection check's probe lists everything a node lacks in one error, with the
packages to install: run here, on a node whose PATH has the shell's tools and nothing else."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from jitskit_tui.sandbox.slurm_probe import NodeReport, probe_script
from jitskit_tui.sandbox.slurm_sandbox import stage_runner

SHELL_TOOLS = ("sh", "grep", "cut", "sed", "awk", "nproc", "uname", "touch", "head")


def _probe(stage: Path, path: str) -> NodeReport:
    done = subprocess.run(
        ["/bin/sh", "-c", probe_script(), "probe", str(stage)],
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return NodeReport.parse("node-1", done.stdout, stage)


def test_bare_node_is_refused_naming_every_missing_tool_and_its_package(tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in SHELL_TOOLS:
        found = shutil.which(tool)
        assert found is not None, tool
        (bare / tool).symlink_to(found)
    stage = tmp_path / "stage"
    (stage / "status").mkdir(parents=True)
    stage_runner(stage)

    error = _probe(stage, str(bare)).error("slurm://bench", "bench")

    assert error is not None
    assert error.message.startswith("node node-1 of partition bench cannot evaluate: missing ")
    for tool, package in (("g++", "g++"), ("bwrap", "bubblewrap"), ("python3", "python3")):
        assert f"{tool} (package {package})" in error.message
    assert "apt-get install bubblewrap g++ make python3 strace" in error.hint


def test_node_with_everything_reports_its_facts_and_no_error(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    (stage / "status").mkdir(parents=True)
    stage_runner(stage)

    report = _probe(stage, "/usr/local/bin:/usr/bin:/bin")

    assert report.error("slurm://bench", "bench") is None, report
    assert report.facts["cpus"].isdigit() and report.facts["compiler"].startswith("g++")


def test_staging_folder_the_node_cannot_see_is_named_with_the_setting_to_change(
    tmp_path: Path,
) -> None:
    stage = tmp_path / "stage"
    (stage / "status").mkdir(parents=True)  # no runner staged: what a node sees elsewhere

    error = _probe(stage, "/usr/local/bin:/usr/bin:/bin").error("slurm://bench", "bench")

    assert error is not None
    assert f"the staging folder {stage} is not visible on the node" in error.message
    assert "JITSKIT_SLURM_STAGING" in error.hint
