"""Labels on everything an evaluation makes on a Docker host, and reaping what a crashed
client left behind.

Every container and volume carries the tool's label, the run and iteration, and the
client that made it (host name, pid and the pid's start time). A client that connects
to a host removes what it finds whose client is gone: on the same host, a pid that no
longer runs (or now runs another process); from another host, anything older than the
grace period, since that host's processes cannot be seen from here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import docker
import docker.errors

from jitskit_tui.sandbox.owner import client_identity, pid_gone

TOOL = "jitskit-tui"
L_TOOL = "io.jitskit.tool"
L_RUN = "io.jitskit.run"
L_ITERATION = "io.jitskit.iteration"
L_SANDBOX = "io.jitskit.sandbox"
L_HOST = "io.jitskit.client-host"
L_PID = "io.jitskit.client-pid"
L_START = "io.jitskit.client-start"
L_CREATED = "io.jitskit.created"

TOOL_FILTER = {"label": f"{L_TOOL}={TOOL}"}
DEFAULT_GRACE_S = 6 * 3600.0


def labels(*, run_id: str, iteration: int | None, sandbox_id: str) -> dict[str, str]:
    host, pid, start = client_identity()
    return {
        L_TOOL: TOOL,
        L_RUN: run_id,
        L_ITERATION: "" if iteration is None else str(iteration),
        L_SANDBOX: sandbox_id,
        L_HOST: host,
        L_PID: str(pid),
        L_START: start,
        L_CREATED: str(int(time.time())),
    }


def is_orphan(found: Mapping[str, str], *, now: float, grace_s: float) -> bool:
    """Whether the client that made a labelled object is gone."""
    host, pid, _ = client_identity()
    try:
        created = float(found.get(L_CREATED, "0"))
        owner_pid = int(found.get(L_PID, "0"))
    except ValueError:
        return True
    if found.get(L_HOST) == host and owner_pid > 0:
        if owner_pid == pid:
            return False
        return pid_gone(owner_pid, found.get(L_START, ""))
    return now - created > grace_s


@dataclass
class Reaped:
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def reap(api: docker.APIClient, *, grace_s: float = DEFAULT_GRACE_S) -> Reaped:
    """Removes orphaned containers, then orphaned volumes no container uses. Blocking."""
    now = time.time()
    reaped = Reaped()
    for container in api.containers(all=True, filters=TOOL_FILTER):
        found: dict[str, str] = container.get("Labels") or {}
        if not is_orphan(found, now=now, grace_s=grace_s):
            continue
        ident = str(container["Id"])
        try:
            api.remove_container(ident, force=True, v=True)
            reaped.containers.append(ident[:12])
        except docker.errors.NotFound:
            continue
        except docker.errors.APIError as exc:
            reaped.failures.append(f"container {ident[:12]}: {exc.explanation}")
    listing = api.volumes(filters=TOOL_FILTER) or {}
    for volume in listing.get("Volumes") or []:
        found = volume.get("Labels") or {}
        if not is_orphan(found, now=now, grace_s=grace_s):
            continue
        name = str(volume["Name"])
        try:
            api.remove_volume(name, force=False)
            reaped.volumes.append(name)
        except docker.errors.NotFound:
            continue
        except docker.errors.APIError as exc:
            # In use by a container another live client still runs: not ours to take.
            reaped.failures.append(f"volume {name}: {exc.explanation}")
    return reaped
