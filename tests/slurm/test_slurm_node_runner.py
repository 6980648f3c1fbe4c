"""The node runner starts from its staged copy with the node's bare python3 (nothing of
jitskit installed there), runs the command, and writes a status the client can trust."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from jitskit_tui.sandbox.slurm_node import STARTED_SUFFIX
from jitskit_tui.sandbox.slurm_sandbox import RUNNER_MODULE, stage_runner

SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


def _runner(tmp_path: Path, *command: str) -> tuple[list[str], dict[str, str], Path]:
    """The runner's command line as srun starts it, its environment, and its status file."""
    status = tmp_path / "status.json"
    argv = [
        str(SYSTEM_PYTHON), "-S", "-m", RUNNER_MODULE, "--status", str(status),
        "--memory", str(256 << 20), "--pids", "64", "--cpus", "1", "--", *command,
    ]  # fmt: skip
    return argv, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(stage_runner(tmp_path))}, status


@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no python3 in /usr/bin")
def test_staged_runner_runs_with_bare_python_and_reports_the_exit_status(tmp_path: Path) -> None:
    argv, env, status = _runner(tmp_path, "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
    done = subprocess.run(
        argv,
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.stdout, done.stderr) == ("out\n", "err\n")
    written = json.loads(status.read_text())
    assert written["returncode"] == 3
    assert written["stopped_by"] is None
    assert len(written["cpus"]) == 1


@pytest.mark.skipif(SYSTEM_PYTHON is None, reason="no python3 in /usr/bin")
def test_runner_stopped_from_outside_kills_the_command_and_says_so(tmp_path: Path) -> None:
    argv, env, status = _runner(tmp_path, "/bin/sh", "-c", "trap '' TERM; sleep 300")
    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    started = status.with_name(status.name + STARTED_SUFFIX)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # let the command start under the runner
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) != 0
    written = json.loads(status.read_text())
    assert written["stopped_by"] == signal.SIGTERM
    assert written["returncode"] == -signal.SIGKILL
