"""Helpers shared by the test suites (on sys.path through pytest's `pythonpath`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SPECS = REPO / "specs"


def run_jitskit(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Runs the installed console script as a user would, capturing its output."""
    jitskit = Path(sys.executable).with_name("jitskit")
    return subprocess.run(
        [str(jitskit), *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )
