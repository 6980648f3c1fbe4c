"""Where a Docker host is: a machine name resolved to an endpoint and its TLS material.

The machine names a user writes (``tcp://host:2376``, ``ssh://user@host``,
``unix:///var/run/docker.sock``, a docker context name) resolve here without touching
the network. Contexts are read from the docker CLI's own store
(``$DOCKER_CONFIG/contexts/meta/<sha256 of name>/meta.json``), so a context made with
``docker context create`` works as is; the CLI binary itself is never run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jitskit_tui.sandbox.base import MachineError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_CONTEXT = "default"
_CONTEXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class TlsMaterial:
    """Certificates for a ``tcp://`` endpoint; any of the files may be absent."""

    ca_cert: Path | None
    client_cert: Path | None
    client_key: Path | None
    verify: bool
    source: str
    """Where the material came from, for error messages (a directory or a variable)."""


@dataclass(frozen=True)
class SshTarget:
    """``ssh://[user@]host[:port]``."""

    host: str
    user: str | None
    port: int | None

    @property
    def display(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"ssh://{user}{self.host}{port}"


@dataclass(frozen=True)
class Endpoint:
    """A resolved Docker host."""

    label: str
    """How the user named it (shown in every message)."""
    url: str
    """``unix://``, ``tcp://`` or ``ssh://`` address of the daemon."""
    tls: TlsMaterial | None = None
    context: str | None = None
    """The docker context it was read from, if any."""

    @property
    def ssh(self) -> SshTarget | None:
        if not self.url.startswith("ssh://"):
            return None
        return parse_ssh_url(self.url, self.label)


class _ContextEndpoint(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field(alias="Host")
    skip_tls_verify: bool = Field(default=False, alias="SkipTLSVerify")


class _ContextMeta(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = Field(alias="Name")
    endpoints: dict[str, _ContextEndpoint] = Field(default_factory=dict, alias="Endpoints")


def docker_config_dir(environ: Mapping[str, str]) -> Path:
    """The docker CLI's configuration directory (``$DOCKER_CONFIG`` or ``~/.docker``)."""
    configured = environ.get("DOCKER_CONFIG")
    if configured:
        return Path(configured).expanduser()
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / ".docker"


def context_dir_name(name: str) -> str:
    """The directory a context's files live in: the sha256 of its name, as the CLI does."""
    return hashlib.sha256(name.encode()).hexdigest()


def resolve_endpoint(spec_value: str, environ: Mapping[str, str] | None = None) -> Endpoint:
    """Resolves a machine name to an endpoint, or raises :class:`MachineError` saying why."""
    env = os.environ if environ is None else environ
    value = spec_value.strip()
    if value.startswith(("tcp://", "https://", "http://")):
        return _tcp_endpoint(value, value, _tls_from_env(env))
    if value.startswith("ssh://"):
        parse_ssh_url(value, value)
        return Endpoint(label=value, url=value)
    if value.startswith("unix://"):
        if not value.startswith("unix:///"):
            raise MachineError(
                value,
                "a unix socket address needs an absolute path",
                "write it as unix:///var/run/docker.sock",
            )
        return Endpoint(label=value, url=value)
    if value in ("", DEFAULT_CONTEXT):
        return _default_endpoint(value or DEFAULT_CONTEXT, env)
    if not _CONTEXT_NAME.match(value):
        raise MachineError(
            value,
            "not a Docker host address or context name",
            "use tcp://HOST:PORT, ssh://USER@HOST, unix:///PATH or a docker context name",
        )
    return _context_endpoint(value, env)


def parse_ssh_url(url: str, label: str) -> SshTarget:
    parts = urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise MachineError(
            label,
            "an ssh:// machine is ssh://[USER@]HOST[:PORT], nothing after",
            "remove the path; the Docker socket is found by the host's docker CLI",
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise MachineError(label, f"bad port in {url}: {exc}", "use ssh://USER@HOST:PORT") from exc
    if not parts.hostname:
        raise MachineError(label, "no host in the ssh:// address", "use ssh://USER@HOST")
    return SshTarget(host=parts.hostname, user=parts.username or None, port=port)


def _tcp_endpoint(label: str, url: str, tls: TlsMaterial | None) -> Endpoint:
    parts = urlsplit(url)
    if not parts.hostname:
        raise MachineError(label, "no host in the address", "use tcp://HOST:PORT")
    try:
        port = parts.port
    except ValueError as exc:
        raise MachineError(label, f"bad port: {exc}", "use tcp://HOST:PORT") from exc
    if port is None:
        port = 2376 if tls is not None else 2375
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if url.startswith("https://") and tls is None:
        tls = TlsMaterial(None, None, None, verify=True, source=url)
    return Endpoint(label=label, url=f"tcp://{host}:{port}", tls=tls)


def _tls_from_env(env: Mapping[str, str]) -> TlsMaterial | None:
    """TLS as the docker CLI takes it from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH."""
    verify_value = env.get("DOCKER_TLS_VERIFY")
    verify = verify_value is not None and verify_value not in ("", "0", "false")
    cert_path = env.get("DOCKER_CERT_PATH")
    if not verify and not cert_path:
        return None
    directory = Path(cert_path).expanduser() if cert_path else docker_config_dir(env)
    return _tls_dir(directory, verify=verify, source=f"DOCKER_CERT_PATH={directory}")


def _tls_dir(directory: Path, *, verify: bool, source: str) -> TlsMaterial:
    def present(name: str) -> Path | None:
        path = directory / name
        return path if path.is_file() else None

    return TlsMaterial(
        ca_cert=present("ca.pem"),
        client_cert=present("cert.pem"),
        client_key=present("key.pem"),
        verify=verify,
        source=source,
    )


def _default_endpoint(label: str, env: Mapping[str, str]) -> Endpoint:
    host = env.get("DOCKER_HOST", "").strip()
    if not host:
        return Endpoint(label=label, url=DEFAULT_SOCKET)
    if host.startswith(("tcp://", "https://", "http://")):
        endpoint = _tcp_endpoint(label, host, _tls_from_env(env))
        return Endpoint(label=f"{label} ({host})", url=endpoint.url, tls=endpoint.tls)
    return Endpoint(label=f"{label} ({host})", url=host)


def _context_endpoint(name: str, env: Mapping[str, str]) -> Endpoint:
    config_dir = docker_config_dir(env)
    digest = context_dir_name(name)
    meta_path = config_dir / "contexts" / "meta" / digest / "meta.json"
    if not meta_path.is_file():
        known = ", ".join(sorted(_context_names(config_dir))) or "none"
        raise MachineError(
            name,
            f"no docker context named {name!r} in {config_dir} (contexts there: {known})",
            "use tcp://HOST:PORT, ssh://USER@HOST, unix:///PATH, or create the context "
            "with `docker context create`",
        )
    try:
        meta = _ContextMeta.model_validate(json.loads(meta_path.read_text()))
    except (OSError, ValueError, ValidationError) as exc:
        raise MachineError(
            name,
            f"cannot read context {meta_path}: {exc}",
            "recreate the context with `docker context create`",
        ) from exc
    docker = meta.endpoints.get("docker")
    if docker is None or not docker.host:
        raise MachineError(
            name,
            f"context {name!r} ({meta_path}) has no docker endpoint",
            "recreate it with `docker context create --docker host=...`",
        )
    host = docker.host
    if host.startswith("ssh://"):
        parse_ssh_url(host, name)
        return Endpoint(label=f"{name} ({host})", url=host, context=name)
    if host.startswith("unix://"):
        return Endpoint(label=f"{name} ({host})", url=host, context=name)
    tls_dir = config_dir / "contexts" / "tls" / digest / "docker"
    tls: TlsMaterial | None = None
    if tls_dir.is_dir() and any(tls_dir.iterdir()):
        tls = _tls_dir(tls_dir, verify=not docker.skip_tls_verify, source=str(tls_dir))
    elif host.startswith("https://"):
        tls = TlsMaterial(None, None, None, verify=not docker.skip_tls_verify, source=name)
    endpoint = _tcp_endpoint(name, host, tls)
    return Endpoint(label=f"{name} ({host})", url=endpoint.url, tls=endpoint.tls, context=name)


def _context_names(config_dir: Path) -> list[str]:
    names: list[str] = []
    meta_root = config_dir / "contexts" / "meta"
    if not meta_root.is_dir():
        return names
    for meta_path in meta_root.glob("*/meta.json"):
        try:
            names.append(_ContextMeta.model_validate(json.loads(meta_path.read_text())).name)
        except (OSError, ValueError, ValidationError):
            continue
    return names
