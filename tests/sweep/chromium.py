"""Opening a page in real headless Chromium (Debian's, installed by
scripts/setup-system.sh), offline and with a throwaway profile."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "Chromium is not installed: run scripts/setup-system.sh (make setup does)"
    return found


def _run(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rendered_dom(page: Path, profile: Path) -> str:
    """The page's DOM after Chromium loaded and laid it out."""
    done = _run(page, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, png: Path, profile: Path, size: str = "1280,2400") -> Path:
    done = _run(page, profile, f"--screenshot={png}", f"--window-size={size}")
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
    return png
