"""Connecting to a Docker host through the SDK, with a timeout on every call."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.tls
from docker.transport.unixconn import UnixHTTPAdapter, UnixHTTPConnectionPool

from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.sandbox.docker_endpoint import Endpoint
from jitskit_tui.sandbox.docker_errors import MIN_API_VERSION, check_api_version, explain
from jitskit_tui.sandbox.docker_ssh import SshBridge

T = TypeVar("T")

CALL_TIMEOUT_S = 60.0
"""Socket timeout of every SDK call; long transfers get their own, larger one."""
PROBE_TIMEOUT_S = 15.0


@dataclass
class Connection:
    """An open connection to one Docker host."""

    endpoint: Endpoint
    api: docker.APIClient
    api_version: str
    engine_version: str
    bridge: SshBridge | None

    def client(self, timeout_s: float) -> docker.APIClient:
        """Another client on the same host with a different timeout (image transfers)."""
        return _api_client(self.endpoint, self.bridge, self.api_version, timeout_s)

    def explain(self, exc: BaseException, operation: str) -> MachineError:
        said = self.bridge.last_error if self.bridge is not None else None
        return explain(self.endpoint, exc, operation=operation, ssh_said=said)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.api.close()
        if self.bridge is not None:
            self.bridge.stop()


def _tls_config(endpoint: Endpoint) -> docker.tls.TLSConfig | None:
    material = endpoint.tls
    if material is None:
        return None
    client_cert: tuple[str, str] | None = None
    if material.client_cert is not None and material.client_key is not None:
        client_cert = (str(material.client_cert), str(material.client_key))
    ca = str(material.ca_cert) if material.ca_cert is not None else None
    verify: bool | str = material.verify
    return docker.tls.TLSConfig(client_cert=client_cert, ca_cert=ca, verify=verify)


class _SharedPoolAdapter(UnixHTTPAdapter):
    """The SDK's unix-socket adapter keeps one connection pool per URL, so nearly every
    call opens a connection. That is free on a local socket but costs an ssh session on
    the ssh:// transport: here every URL shares one pool."""

    def get_connection(
        self, url: str | bytes, proxies: Mapping[str, str] | None = None
    ) -> UnixHTTPConnectionPool:
        return super().get_connection("http+docker://localhost", proxies)


def _api_client(
    endpoint: Endpoint, bridge: SshBridge | None, version: str, timeout_s: float
) -> docker.APIClient:
    base_url = bridge.url if bridge is not None else endpoint.url
    timeout = int(max(1, timeout_s))
    api = docker.APIClient(
        base_url=base_url,
        version=version,
        timeout=timeout,
        tls=_tls_config(endpoint) or False,
    )
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override the CA the TLS material
    # names (and proxies from the environment would capture tcp:// daemon traffic): the
    # endpoint's own material is what counts.
    api.trust_env = False
    if bridge is not None:
        adapter = _SharedPoolAdapter(f"http+unix://{bridge.socket_path}", timeout)
        api.mount("http+docker://", adapter)
    return api


def connect(
    endpoint: Endpoint,
    *,
    ssh_config: Path | None = None,
    timeout_s: float = CALL_TIMEOUT_S,
) -> Connection:
    """Opens a connection and checks the daemon's API version. Blocking."""
    bridge: SshBridge | None = None
    target = endpoint.ssh
    try:
        if target is not None:
            bridge = SshBridge(target, ssh_config=ssh_config, connect_timeout_s=PROBE_TIMEOUT_S)
            try:
                bridge.start()
            except FileNotFoundError as exc:
                raise MachineError(
                    endpoint.label, "the ssh client is not installed here", "install openssh-client"
                ) from exc
        # The probe speaks the oldest API we accept, so an old daemon is told apart
        # from an unreachable one; /version itself is not versioned.
        probe = _api_client(endpoint, bridge, MIN_API_VERSION, PROBE_TIMEOUT_S)
        try:
            server: dict[str, Any] = probe.version(api_version=False)
        finally:
            probe.close()
        api_version = check_api_version(endpoint, server)
        api = _api_client(endpoint, bridge, api_version, timeout_s)
        return Connection(endpoint, api, api_version, str(server.get("Version", "")), bridge)
    except BaseException as exc:
        said = bridge.last_error if bridge is not None else None
        if bridge is not None:
            bridge.stop()
        if isinstance(exc, MachineError | KeyboardInterrupt | SystemExit):
            raise
        raise explain(endpoint, exc, operation="connecting", ssh_said=said) from exc


async def in_thread(fn: Callable[[], T], *, name: str = "docker") -> T:
    """Runs a blocking call in its own thread, so long calls never starve a shared pool.

    Cancelling the await does not stop the call; callers that must wait for it (to
    clean up) shield it.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting task
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, None, exc)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=target, name=f"jitskit {name}", daemon=True).start()
    return await future
