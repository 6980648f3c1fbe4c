"""The same evaluation calls reach a Docker host over tcp:// with TLS, over ssh://, and
through a docker context; what goes wrong on the way is said in words a person can
act on."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import docker
import pytest
from dockerkit import Sshd, TlsDaemon, free_port, leftovers, make_context

from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import Limits, MachineError
from jitskit_tui.sandbox.docker import DockerMachine, open_machine
from jitskit_tui.sandbox.docker_endpoint import resolve_endpoint

pytestmark = pytest.mark.docker

LIMITS = Limits(cpus=1, memory_bytes=200 << 20, pids=150)


async def _exercise(machine: DockerMachine, tmp_path: Path) -> str:
    """Opens a sandbox, streams a command, moves files both ways; returns the run id."""
    run_id = f"test-remote-{uuid.uuid4().hex[:8]}"
    src = tmp_path / "src"
    src.mkdir()
    (src / "in.txt").write_text("payload\n")
    seen: list[tuple[float, str]] = []
    async with await machine.open(
        run_id=run_id, iteration=2, limits=LIMITS, data_volume=True
    ) as sandbox:
        await sandbox.upload(src, f"{LAYOUT.work}/src")
        started = time.monotonic()
        result = await sandbox.run(
            ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.4; done;"
             " tr a-z A-Z < src/in.txt > src/out.txt && cat /sys/fs/cgroup/pids/pids.max"
             " 2>/dev/null || cat /sys/fs/cgroup/pids.max"],
            timeout_s=60,
            access="build",
            on_stdout_line=lambda line: seen.append((time.monotonic() - started, line)),
        )  # fmt: skip
        assert result.ok, result.stderr
        await sandbox.download(f"{LAYOUT.work}/src/out.txt", tmp_path / "back")
        applied = sandbox.limits_applied
    assert [line for _, line in seen[:3]] == ["line 1", "line 2", "line 3"]
    assert seen[2][0] - seen[0][0] > 0.5
    assert seen[3][1] == "150"
    assert (tmp_path / "back" / "out.txt").read_text() == "PAYLOAD\n"
    assert applied.memory_bytes == 200 << 20 and applied.network is False
    return run_id


def _tls_env(daemon: TlsDaemon) -> dict[str, str]:
    return {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(daemon.cert_dir), "HOME": "/"}


async def test_tcp_with_tls_runs_an_evaluation(tls_daemon: TlsDaemon, tmp_path: Path) -> None:
    machine = open_machine(tls_daemon.url, environ=_tls_env(tls_daemon))
    try:
        await machine.check()
        run_id = await _exercise(machine, tmp_path)
        facts = await machine.host_facts()
    finally:
        await machine.aclose()
    api = tls_daemon.api()
    try:
        assert leftovers(api, run_id) == []
    finally:
        api.close()
    assert facts.docker_version and facts.cpu_count >= 1


async def test_docker_context_is_read_from_the_cli_config_dir(
    tls_daemon: TlsDaemon, tmp_path: Path
) -> None:
    config = tmp_path / "docker-config"
    make_context(config, "bench-box", tls_daemon.url, tls_daemon.cert_dir)
    environ = {"DOCKER_CONFIG": str(config), "HOME": "/"}
    endpoint = resolve_endpoint("bench-box", environ)
    assert endpoint.url == tls_daemon.url and endpoint.tls is not None
    machine = open_machine("bench-box", environ=environ)
    try:
        await machine.check()
        await _exercise(machine, tmp_path)
    finally:
        await machine.aclose()


async def test_ssh_runs_an_evaluation_on_the_remote_daemon(
    sshd: Sshd, docker_api: docker.APIClient, tmp_path: Path
) -> None:
    machine = open_machine(sshd.url, ssh_config=sshd.ssh_config)
    try:
        await machine.check()
        run_id = await _exercise(machine, tmp_path)
    finally:
        await machine.aclose()
    assert leftovers(docker_api, run_id) == []


async def test_ssh_context_goes_through_the_same_transport(sshd: Sshd, tmp_path: Path) -> None:
    config = tmp_path / "docker-config"
    make_context(config, "over-ssh", sshd.url, None)
    environ = {"DOCKER_CONFIG": str(config), "JITSKIT_SSH_CONFIG": str(sshd.ssh_config)}
    machine = open_machine("over-ssh", environ=environ)
    try:
        await machine.check()
    finally:
        await machine.aclose()


async def test_refused_ssh_key_is_an_authentication_error(sshd: Sshd) -> None:
    config = sshd.client_config(
        "stranger",
        IdentityFile=str(sshd.directory / "stranger_key"),
        IdentitiesOnly="yes",
        UserKnownHostsFile=str(sshd.directory / "known_hosts"),
    )
    machine = open_machine(sshd.url, ssh_config=config)
    started = time.monotonic()
    with pytest.raises(MachineError) as caught:
        await machine.check()
    await machine.aclose()
    assert "SSH authentication refused" in caught.value.message
    assert "authorized_keys" in caught.value.hint
    assert time.monotonic() - started < 30


async def test_unknown_ssh_host_key_says_how_to_accept_it(sshd: Sshd) -> None:
    config = sshd.client_config(
        "no-known-hosts",
        IdentityFile=str(sshd.directory / "client_key"),
        UserKnownHostsFile=str(sshd.directory / "empty_known_hosts"),
        StrictHostKeyChecking="yes",
    )
    machine = open_machine(sshd.url, ssh_config=config)
    with pytest.raises(MachineError) as caught:
        await machine.check()
    await machine.aclose()
    assert "host key" in caught.value.message
    assert f"ssh -p {sshd.port} root@127.0.0.1" in caught.value.hint


async def test_tls_daemon_without_certificates_asks_for_them(tls_daemon: TlsDaemon) -> None:
    machine = open_machine(tls_daemon.url, environ={"HOME": "/"})
    with pytest.raises(MachineError) as caught:
        await machine.check()
    await machine.aclose()
    assert "TLS" in caught.value.message or "DOCKER_TLS_VERIFY" in caught.value.hint


async def test_untrusted_daemon_certificate_is_a_tls_error(
    tls_daemon: TlsDaemon, tmp_path: Path
) -> None:
    from dockerkit import make_tls_material

    other = make_tls_material(tmp_path / "other-ca")
    environ = {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(other), "HOME": "/"}
    machine = open_machine(tls_daemon.url, environ=environ)
    with pytest.raises(MachineError) as caught:
        await machine.check()
    await machine.aclose()
    assert "TLS handshake" in caught.value.message
    assert str(other) in caught.value.message


async def test_unreachable_host_fails_fast_with_a_clear_message() -> None:
    url = f"tcp://127.0.0.1:{free_port()}"
    machine = open_machine(url, environ={"HOME": "/"})
    started = time.monotonic()
    with pytest.raises(MachineError) as caught:
        await machine.check()
    await machine.aclose()
    assert "cannot reach the Docker daemon" in caught.value.message
    assert time.monotonic() - started < 30


async def test_missing_image_says_which_command_builds_it(docker_api: docker.APIClient) -> None:
    endpoint = resolve_endpoint("unix:///var/run/docker.sock")
    machine = DockerMachine(endpoint, image="jitskit-bench:0000000000000000")
    with pytest.raises(MachineError) as caught:
        await machine.check()
    with pytest.raises(MachineError) as on_open:
        await machine.open(run_id=f"test-{uuid.uuid4().hex[:8]}", iteration=None,
                           limits=LIMITS, data_volume=True)  # fmt: skip
    await machine.aclose()
    for error in (caught.value, on_open.value):
        assert "jitskit-bench:0000000000000000" in error.message
        assert "jitskit image build --machine unix:///var/run/docker.sock" in error.hint
