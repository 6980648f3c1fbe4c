"""Docker hosts as benchmark machines: one container per evaluation, through the SDK.

``open_machine`` takes what the user wrote (``tcp://host:port``, ``ssh://user@host``,
``unix:///path``, a docker context name, or ``default`` for the local daemon) and
returns a :class:`DockerMachine`. Nothing runs the docker CLI on this machine; the
``ssh://`` transport runs ``ssh`` (see :mod:`docker_ssh`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.types import LogConfig, Ulimit

from jitskit_tui.machine.builder import inspect_image
from jitskit_tui.machine.recipe import RECIPE
from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import (
    BenchMachine,
    Limits,
    LimitsApplied,
    MachineError,
)
from jitskit_tui.sandbox.docker_connect import CALL_TIMEOUT_S, Connection, connect, in_thread
from jitskit_tui.sandbox.docker_endpoint import Endpoint, resolve_endpoint
from jitskit_tui.sandbox.docker_errors import image_build_hint
from jitskit_tui.sandbox.docker_exec import run_short
from jitskit_tui.sandbox.docker_facts import (
    CPU_MODEL_PROBE,
    DATA_PROBE,
    DockerHostFacts,
    host_facts,
    limits_applied,
    parse_cpu_model,
    parse_data_probe,
)
from jitskit_tui.sandbox.docker_reaper import DEFAULT_GRACE_S, Reaped, labels, reap
from jitskit_tui.sandbox.docker_sandbox import (
    ROOT_USER,
    SANDBOX_USER,
    DockerSandbox,
    remove_everything,
)
from jitskit_tui.sandbox.facts import Medium

__all__ = ["DockerMachine", "DockerSandbox", "open_machine"]

TMP_BYTES = 256 << 20
SSH_CONFIG_ENV = "JITSKIT_SSH_CONFIG"


def open_machine(
    spec_value: str,
    *,
    ssh_config: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> DockerMachine:
    """The Docker machine a spec's ``environment.machine`` (or ``--machine``) names.

    Resolves the name only; the host is contacted by :meth:`DockerMachine.check` or
    the first :meth:`DockerMachine.open`. ``ssh_config`` (or ``$JITSKIT_SSH_CONFIG``)
    is an ssh client configuration file to use instead of ``~/.ssh/config``.
    """
    env = os.environ if environ is None else environ
    if spec_value.strip() == "local":
        raise MachineError(
            "local",
            "`local` is this host's bubblewrap sandbox, not Docker",
            "use tcp://, ssh://, unix:// or a docker context name",
        )
    endpoint = resolve_endpoint(spec_value, env)
    if ssh_config is None and env.get(SSH_CONFIG_ENV):
        ssh_config = Path(env[SSH_CONFIG_ENV]).expanduser()
    return DockerMachine(endpoint, ssh_config=ssh_config)


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", text).strip("-.")[:40] or "run"


class DockerMachine(BenchMachine):
    """A Docker host. Connects on first use; reaps crashed clients' leftovers then."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        ssh_config: Path | None = None,
        image: str | None = None,
        reap_grace_s: float = DEFAULT_GRACE_S,
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self.endpoint = endpoint
        self.label = endpoint.label
        self.ssh_config = ssh_config
        self.image = image or RECIPE.tag
        self.reap_grace_s = reap_grace_s
        self.call_timeout_s = call_timeout_s
        self.reaped = Reaped()
        """What the first connection removed (leftovers of crashed clients)."""
        self._connection: Connection | None = None
        self._lock = asyncio.Lock()
        self._info: dict[str, Any] | None = None
        self._cpu_model: str | None = None
        self._data: tuple[Medium, int, str] | None = None

    @property
    def cache_key(self) -> str:
        """The host and the image: harness objects and baselines are kept per both."""
        return f"docker|{self.endpoint.url}|{self.image}"

    @property
    def build_cache_key(self) -> str:
        """Objects compiled in one image are valid on every host that runs it."""
        return f"docker-image|{self.image}"

    # Connection ---------------------------------------------------------------------

    async def connection(self) -> Connection:
        """The open connection, made (and leftovers reaped) on first use."""
        async with self._lock:
            if self._connection is not None:
                return self._connection
            endpoint, ssh_config, timeout = self.endpoint, self.ssh_config, self.call_timeout_s
            conn = await in_thread(
                lambda: connect(endpoint, ssh_config=ssh_config, timeout_s=timeout),
                name="connect",
            )
            try:
                self._info = await in_thread(conn.api.info, name="info")
                self.reaped = await in_thread(
                    lambda: reap(conn.api, grace_s=self.reap_grace_s), name="reap"
                )
            except Exception as exc:
                conn.close()
                raise conn.explain(exc, "reading the host's facts") from exc
            self._connection = conn
            return conn

    async def aclose(self) -> None:
        """Closes the connection (and the ssh transport). Sandboxes should be closed first."""
        async with self._lock:
            conn, self._connection = self._connection, None
        if conn is not None:
            await in_thread(conn.close, name="disconnect")

    async def check(self) -> None:
        conn = await self.connection()
        try:
            await in_thread(conn.api.ping, name="ping")
            await in_thread(lambda: inspect_image(conn.api, self.image), name="image")
        except docker.errors.ImageNotFound as exc:
            raise self._image_missing() from exc
        except Exception as exc:
            raise conn.explain(exc, "checking the host") from exc

    def _image_missing(self) -> MachineError:
        return MachineError(
            self.label,
            f"the benchmark image {self.image} is not on this Docker host",
            image_build_hint(self._cli_name()),
        )

    def _cli_name(self) -> str:
        return self.endpoint.context or self.endpoint.label.split(" ", 1)[0]

    async def host_facts(self) -> DockerHostFacts:
        """The host's CPU model, CPU count, memory, kernel and Docker version."""
        conn = await self.connection()
        await self._probe()
        return host_facts(self.label, self._info or {}, conn.api_version, self._cpu_model or "")

    async def facts(self) -> MachineFacts:
        """The Docker host as a container on it sees it: the daemon's CPUs and memory,
        the CPU model, and the filesystem behind a data volume with its free space."""
        host = await self.host_facts()
        medium, free, compiler = self._data or ("unknown", 0, "unknown")
        return MachineFacts(
            cpu_model=host.cpu_model,
            cpu_count=host.cpu_count,
            memory_bytes=host.memory_bytes,
            kernel=f"Linux {host.kernel} {host.architecture}".strip(),
            compiler=compiler,
            host=self.label,
            cpu_ids=list(range(host.cpu_count)),
            data_medium=medium,
            data_free_bytes=free,
        )

    async def _probe(self) -> None:
        """Learns the CPU model and the data volumes' filesystem, once, in a container
        with a data volume (a named volume lives where the daemon keeps its volumes)."""
        if self._cpu_model is not None and self._data is not None:
            return
        sandbox = await self.open(
            run_id="facts",
            iteration=None,
            limits=Limits(cpus=1, memory_bytes=64 << 20),
            data_volume=True,
        )
        async with sandbox:
            probe = await sandbox.run(DATA_PROBE, timeout_s=60, access="build")
        self._data = parse_data_probe(probe.stdout)

    # Sandboxes ----------------------------------------------------------------------

    def _host_config(
        self, api: docker.APIClient, limits: Limits, volumes: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[str]]:
        info = self._info or {}
        host_cpus = int(info.get("NCPU") or 0)
        notes: list[str] = []
        cpu: dict[str, Any] = {}
        if limits.cpuset:
            missing = [cpu for cpu in limits.cpuset if host_cpus and cpu >= host_cpus]
            if missing:
                raise MachineError(
                    self.label,
                    f"the spec's cpuset names CPUs {missing} but the host has {host_cpus} "
                    f"(0-{host_cpus - 1})",
                    "change environment.cpuset, or benchmark on a larger machine",
                )
            cpu["cpuset_cpus"] = ",".join(str(c) for c in limits.cpuset)
        else:
            cpus = limits.cpus
            if host_cpus and cpus > host_cpus:
                notes.append(
                    f"the spec asks for {cpus:g} CPUs; the host has {host_cpus}, "
                    f"so the quota is {host_cpus}"
                )
                cpus = float(host_cpus)
            cpu["nano_cpus"] = int(cpus * 1e9)
        binds: dict[str, Mapping[str, str]] = {
            name: {"bind": mount, "mode": "rw"} for mount, name in volumes.items()
        }
        tmp_bytes = min(TMP_BYTES, max(16 << 20, limits.memory_bytes // 4))
        host_config = api.create_host_config(
            network_mode="none",
            # No /dev/shm or /dev/mqueue: the store writes only /data and /tmp.
            ipc_mode="none",
            read_only=True,
            init=True,
            binds=binds,
            tmpfs={
                LAYOUT.tmp: f"rw,exec,nosuid,nodev,size={tmp_bytes},mode=1777",
                # Docker mounts POSIX message queues here whatever the IPC mode: covered.
                "/dev/mqueue": "ro,nosuid,nodev,noexec,size=4k,mode=0755",
            },
            mem_limit=limits.memory_bytes,
            memswap_limit=limits.memory_bytes,
            pids_limit=limits.pids,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ulimits=[Ulimit(name="core", soft=0, hard=0)],
            log_config=LogConfig(type="none"),
            **cpu,
        )
        return host_config, notes

    async def open(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        time_limit_s: float | None = None,
    ) -> DockerSandbox:
        # A container has no time limit of its own: each command has its own timeout.
        conn = await self.connection()
        api = conn.api
        sandbox_id = uuid.uuid4().hex[:12]
        tags = labels(run_id=run_id, iteration=iteration, sandbox_id=sandbox_id)
        volumes = {LAYOUT.work: f"jitskit-work-{sandbox_id}"}
        if data_volume:
            volumes[LAYOUT.data] = f"jitskit-data-{sandbox_id}"
        iteration_part = f"-{iteration}" if iteration is not None else ""
        name = f"jitskit-{_slug(run_id)}{iteration_part}-{sandbox_id}"
        made: dict[str, Any] = {"container": None, "volumes": []}

        def create() -> tuple[str, LimitsApplied]:
            for volume in volumes.values():
                api.create_volume(name=volume, labels=tags)
                made["volumes"].append(volume)
            host_config, notes = self._host_config(api, limits, volumes)
            created = api.create_container(
                self.image,
                command=["sleep", "infinity"],
                user=ROOT_USER,
                working_dir=LAYOUT.work,
                labels=tags,
                network_disabled=True,
                host_config=host_config,
                hostname="jitskit-sandbox",
                name=name,
            )
            container_id = str(created["Id"])
            made["container"] = container_id
            notes += list(created.get("Warnings") or [])
            api.start(container_id)
            if data_volume:
                # Store commands run as a user of their own, which must write its data.
                run_short(api, container_id, ["chmod", "0777", LAYOUT.data], user=SANDBOX_USER)
            inspected = api.inspect_container(container_id)
            applied = limits_applied(inspected.get("HostConfig") or {}, self._info or {}, notes)
            if self._cpu_model is None:
                _code, output = run_short(api, container_id, CPU_MODEL_PROBE, user=ROOT_USER)
                self._cpu_model = parse_cpu_model(output)
            return container_id, applied

        def undo() -> None:
            with contextlib.suppress(Exception):
                remove_everything(conn, made["container"], made["volumes"])

        future = asyncio.ensure_future(in_thread(create, name="create"))
        try:
            container_id, applied = await asyncio.shield(future)
        except asyncio.CancelledError:
            # Let the creation finish, then take it down: nothing may outlive the caller.
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(future), timeout=self.call_timeout_s)
            await in_thread(undo, name="undo")
            raise
        except docker.errors.ImageNotFound as exc:
            await in_thread(undo, name="undo")
            raise self._image_missing() from exc
        except Exception as exc:
            await in_thread(undo, name="undo")
            if isinstance(exc, MachineError):
                raise
            if isinstance(exc, docker.errors.APIError) and "No such image" in str(exc.explanation):
                raise self._image_missing() from exc
            raise conn.explain(exc, "creating the evaluation's container") from exc
        return DockerSandbox(
            conn,
            container_id=container_id,
            volumes=list(volumes.values()),
            mounts=list(volumes),
            limits_applied=applied,
            oom_kills=0,
        )
