"""Where the project's shipped files are, from a checkout or an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_ROOT = Path(str(resources.files("jitskit_tui")))


def packaged(*parts: str) -> Path:
    """A file shipped inside the package (harness sources, styles, specs)."""
    return PACKAGE_ROOT.joinpath(*parts)


def default_spec() -> Path:
    """``specs/demo.yaml`` in the current directory when there is one, else the shipped copy."""
    local = Path("specs/demo.yaml")
    return local if local.is_file() else packaged("specs", "demo.yaml")


def workspaces_root() -> Path:
    """Runs live in ``workspaces/`` under the current directory."""
    return Path("workspaces")
