"""The harness built once per session for every test here."""

from __future__ import annotations

import shutil

import pytest
from harnesskit import Built, build_all


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if shutil.which("g++") is None:
        pytest.skip("needs g++")
    return build_all(tmp_path_factory.mktemp("harness-build"))
