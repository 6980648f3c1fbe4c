"""Machine names resolve to Docker endpoints the way the docker CLI reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockerkit import make_context

from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.docker import open_machine
from jitskit_tui.sandbox.docker_endpoint import context_dir_name, resolve_endpoint
from jitskit_tui.sandbox.docker_errors import check_api_version


def test_context_directory_is_the_sha256_of_its_name() -> None:
    # The docker CLI's own layout: contexts/meta/<sha256(name)>/meta.json
    assert context_dir_name("default") == (
        "37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f"
    )


def test_plain_tcp_has_no_tls_without_the_environment() -> None:
    endpoint = resolve_endpoint("tcp://bench.example:2375", {})
    assert endpoint.url == "tcp://bench.example:2375"
    assert endpoint.tls is None


def test_tcp_takes_tls_from_docker_tls_verify_and_cert_path(tmp_path: Path) -> None:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x")
    environ = {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)}
    endpoint = resolve_endpoint("tcp://bench.example", environ)
    assert endpoint.url == "tcp://bench.example:2376"
    assert endpoint.tls is not None and endpoint.tls.verify
    assert endpoint.tls.ca_cert == tmp_path / "ca.pem"
    assert endpoint.tls.client_key == tmp_path / "key.pem"


def test_ssh_url_keeps_user_host_and_port() -> None:
    target = resolve_endpoint("ssh://bench@box.example:2222", {}).ssh
    assert target is not None
    assert (target.user, target.host, target.port) == ("bench", "box.example", 2222)


def test_ssh_url_with_a_path_is_refused() -> None:
    with pytest.raises(MachineError, match="nothing after"):
        resolve_endpoint("ssh://bench@box/var/run/docker.sock", {})


def test_unix_socket_and_default_context() -> None:
    assert resolve_endpoint("unix:///run/docker.sock", {}).url == "unix:///run/docker.sock"
    assert resolve_endpoint("default", {}).url == "unix:///var/run/docker.sock"
    assert resolve_endpoint("default", {"DOCKER_HOST": "tcp://h:1"}).url == "tcp://h:1"


def test_context_with_tls_material_is_read_from_docker_config(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (certs / name).write_text("x")
    make_context(tmp_path / "cfg", "lab", "tcp://10.0.0.5:2376", certs)
    endpoint = resolve_endpoint("lab", {"DOCKER_CONFIG": str(tmp_path / "cfg")})
    assert endpoint.url == "tcp://10.0.0.5:2376"
    assert endpoint.context == "lab"
    assert endpoint.tls is not None and endpoint.tls.client_cert is not None
    assert endpoint.tls.verify


def test_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    make_context(tmp_path, "lab", "ssh://me@lab", None)
    with pytest.raises(MachineError) as caught:
        resolve_endpoint("nope", {"DOCKER_CONFIG": str(tmp_path)})
    assert "lab" in caught.value.message
    assert "docker context create" in caught.value.hint


def test_local_is_not_a_docker_machine() -> None:
    with pytest.raises(MachineError, match="bubblewrap"):
        open_machine("local")


def test_daemon_older_than_api_1_41_is_refused_with_an_upgrade_hint() -> None:
    endpoint = resolve_endpoint("tcp://old:2375", {})
    with pytest.raises(MachineError) as caught:
        check_api_version(endpoint, {"ApiVersion": "1.40", "Version": "19.03.15"})
    assert "19.03.15" in caught.value.message and "too old" in caught.value.message
    assert "upgrade Docker" in caught.value.hint
    assert check_api_version(endpoint, {"ApiVersion": "1.41"}) == "1.41"
    newest = check_api_version(endpoint, {"ApiVersion": "9.99", "MinAPIVersion": "1.24"})
    assert newest != "9.99"
