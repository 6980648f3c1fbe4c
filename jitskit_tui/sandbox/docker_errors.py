"""Docker SDK failures turned into :class:`MachineError` a person can act on."""

from __future__ import annotations

import re

import docker.constants
import docker.errors
import requests.exceptions

from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.docker_endpoint import Endpoint

MIN_API_VERSION = "1.41"
"""Docker Engine 20.10: the oldest daemon whose API has everything the sandbox uses."""


def image_build_hint(label: str) -> str:
    return f"run `jitskit image build --machine {label}`"


def _ssh_hint(endpoint: Endpoint, ssh_said: str) -> MachineError | None:
    target = endpoint.ssh
    if target is None:
        return None
    where = target.display
    said = ssh_said.strip().splitlines()
    last = said[-1] if said else ""
    lowered = ssh_said.lower()
    port = f"-p {target.port} " if target.port else ""
    user = f"{target.user}@" if target.user else ""
    if "permission denied" in lowered and "docker" not in lowered:
        return MachineError(
            endpoint.label,
            f"SSH authentication refused by {where}: {last}",
            "jitskit runs ssh in batch mode and cannot ask for a password: add your public "
            f"key to ~/.ssh/authorized_keys of {user or 'the user on '}{target.host}, or load "
            "it with ssh-add",
        )
    if "host key verification failed" in lowered or "host identification has changed" in lowered:
        return MachineError(
            endpoint.label,
            f"the SSH host key of {target.host} is unknown or changed",
            f"connect once with `ssh {port}{user}{target.host}` and check the key it shows",
        )
    if any(
        text in lowered
        for text in ("could not resolve", "connection refused", "timed out", "no route",
                     "network is unreachable", "connection closed by", "kex_exchange")
    ):  # fmt: skip
        return MachineError(
            endpoint.label,
            f"cannot reach {where}: {last}",
            "check the host name and port, and that sshd runs there",
        )
    if "docker: command not found" in lowered or "docker: not found" in lowered:
        return MachineError(
            endpoint.label,
            f"the docker CLI is not installed on {target.host}",
            "the ssh:// transport runs `docker system dial-stdio` there: install the docker "
            "CLI on that host, or expose the daemon on tcp:// with TLS",
        )
    if "permission denied" in lowered and "docker" in lowered:
        return MachineError(
            endpoint.label,
            f"{user or 'the ssh user '}{target.host} may not use the Docker daemon: {last}",
            f"add that user to the docker group on {target.host}",
        )
    if "cannot connect to the docker daemon" in lowered or "daemon running" in lowered:
        return MachineError(
            endpoint.label,
            f"no Docker daemon is running on {target.host}: {last}",
            "start it there (systemctl start docker)",
        )
    if last:
        return MachineError(
            endpoint.label,
            f"ssh to {where} failed: {last}",
            f"try `ssh {port}{user}{target.host} docker version`",
        )
    return None


def _disk_full(text: str) -> bool:
    return "no space left on device" in text.lower()


def explain(
    endpoint: Endpoint,
    exc: BaseException,
    *,
    operation: str,
    ssh_said: str | None = None,
) -> MachineError:
    """The :class:`MachineError` for ``exc`` raised while doing ``operation``."""
    if isinstance(exc, MachineError):
        return exc
    label = endpoint.label
    text = str(exc)
    if ssh_said:
        ssh_error = _ssh_hint(endpoint, ssh_said)
        if ssh_error is not None:
            return ssh_error
    if isinstance(exc, docker.errors.TLSParameterError):
        return MachineError(
            label,
            f"TLS material is incomplete: {exc}",
            "point DOCKER_CERT_PATH at a directory with ca.pem, cert.pem and "
            "key.pem, or fix the context's TLS files",
        )
    if isinstance(exc, requests.exceptions.SSLError) or "ssl" in type(exc).__name__.lower():
        source = f" (certificates from {endpoint.tls.source})" if endpoint.tls else ""
        return MachineError(
            label,
            f"TLS handshake with {endpoint.url} failed while {operation}{source}: {_short(text)}",
            "check that ca.pem signed the daemon's certificate and that cert.pem/key.pem are "
            "a client certificate the daemon's CA trusts",
        )
    if isinstance(exc, docker.errors.ImageNotFound):
        return MachineError(
            label, f"the benchmark image is missing on {label}", image_build_hint(endpoint.label)
        )
    if isinstance(exc, docker.errors.APIError):
        explanation = str(exc.explanation or text)
        if "HTTP request to an HTTPS server" in explanation:
            return MachineError(
                label,
                f"{endpoint.url} expects TLS",
                "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the client certificates, or "
                "use a docker context that has them",
            )
        if _disk_full(explanation):
            return MachineError(
                label,
                f"the Docker host is out of disk space while {operation}",
                "free space on that host (docker system prune, or remove old images) and retry",
            )
        return MachineError(
            label,
            f"the Docker daemon refused {operation}: {explanation}",
            "see the daemon's log on that host",
        )
    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return MachineError(
            label,
            f"the Docker daemon did not answer while {operation}",
            "check the host is up and not overloaded; every call has a timeout, "
            "so retrying is safe",
        )
    if isinstance(exc, requests.exceptions.ConnectionError | ConnectionError | FileNotFoundError):
        if endpoint.url.startswith("unix://"):
            socket = endpoint.url.removeprefix("unix://")
            return MachineError(
                label,
                f"no Docker daemon answers on {socket}",
                "start it (scripts/start-dockerd.sh, or systemctl start docker) and check you "
                "may use the socket (docker group)",
            )
        if "RemoteDisconnected" in text or "BadStatusLine" in text:
            return MachineError(
                label,
                f"{endpoint.url} closed the connection while {operation}",
                "if the daemon uses TLS, set DOCKER_TLS_VERIFY=1 and "
                "DOCKER_CERT_PATH, or use a context that has the certificates",
            )
        errno = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
        return MachineError(
            label,
            f"cannot reach the Docker daemon at {endpoint.url}: "
            f"{errno.group(0) if errno else _short(text)}",
            "check the address and port, and that the daemon listens there",
        )
    if isinstance(exc, docker.errors.DockerException):
        return MachineError(
            label,
            f"{operation} failed: {_short(text)}",
            "check the machine address and the Docker daemon",
        )
    if isinstance(exc, OSError) and _disk_full(text):
        return MachineError(label, f"out of disk space while {operation}", "free disk space")
    return MachineError(
        label,
        f"{operation} failed: {type(exc).__name__}: {_short(text)}",
        "see the message; retry once the cause is fixed",
    )


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= 300 else text[:297] + "..."


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def check_api_version(endpoint: Endpoint, server: dict[str, object]) -> str:
    """The API version to talk to this daemon, or :class:`MachineError` when it is too old."""
    api = str(server.get("ApiVersion", "0"))
    engine = str(server.get("Version", "unknown"))
    if version_tuple(api) < version_tuple(MIN_API_VERSION):
        raise MachineError(
            endpoint.label,
            f"Docker Engine {engine} (API {api}) is too old; jitskit needs API "
            f"{MIN_API_VERSION} (Docker 20.10) or newer",
            "upgrade Docker on that host",
        )
    newest = docker.constants.DEFAULT_DOCKER_API_VERSION
    if version_tuple(api) > version_tuple(newest):
        minimum = str(server.get("MinAPIVersion", newest))
        return newest if version_tuple(minimum) <= version_tuple(newest) else minimum
    return api
