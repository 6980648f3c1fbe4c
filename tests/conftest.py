"""Shared fixtures."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from support import run_jitskit


@pytest.fixture
def jitskit() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_jitskit


@pytest.fixture
def write_card(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "card.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
