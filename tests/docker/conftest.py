"""Fixtures for the Docker tests: real daemons only.

When no daemon answers on the local socket the tests are skipped on a workstation but
fail under CI (``CI`` set), where ``.ci/run`` starts one (scripts/start-dockerd.sh).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker
import pytest
from dockerkit import (
    LOCAL_URL,
    Sshd,
    TlsDaemon,
    copy_image,
    ensure_image,
    leftovers,
    local_api,
    local_daemon_answers,
    start_sshd,
    start_tls_dockerd,
)

from jitskit_tui.machine.recipe import RECIPE
from jitskit_tui.sandbox.docker import DockerMachine, open_machine


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI must run the Docker tests (start it: scripts/start-dockerd.sh)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def docker_api() -> Iterator[docker.APIClient]:
    """The local daemon, with the benchmark image on it (built once if missing)."""
    if not local_daemon_answers():
        _unavailable(f"no Docker daemon answers on {LOCAL_URL}")
    api = local_api(timeout=3600)
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "jitskit-test-image-build.log"
    ensure_image(api, log)
    yield api
    api.close()


@pytest.fixture
def run_id(docker_api: docker.APIClient) -> Iterator[str]:
    """A run id unique to the test; nothing labelled with it may survive the test."""
    ident = f"test-{uuid.uuid4().hex[:10]}"
    yield ident
    left = leftovers(docker_api, ident)
    assert not left, f"left behind on the Docker host: {left}"


@pytest.fixture
async def local_machine(docker_api: docker.APIClient) -> AsyncIterator[DockerMachine]:
    machine = open_machine(LOCAL_URL)
    yield machine
    await machine.aclose()


@pytest.fixture(scope="session")
def tls_daemon(docker_api: docker.APIClient) -> Iterator[TlsDaemon]:
    """A second dockerd on tcp://127.0.0.1:PORT, TLS with client certificates."""
    daemon = start_tls_dockerd()
    try:
        api = daemon.api(timeout=600)
        try:
            copy_image(docker_api, api, RECIPE.tag)
        finally:
            api.close()
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def sshd(docker_api: docker.APIClient) -> Iterator[Sshd]:
    """An sshd on loopback: ssh://root@127.0.0.1:PORT reaches the local daemon."""
    server = start_sshd()
    try:
        yield server
    finally:
        server.stop()
