"""What a Docker host is, and which limits a container on it actually got."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import LimitsApplied
from jitskit_tui.sandbox.facts import MEMORY_FILESYSTEMS, Medium

CPU_MODEL_PROBE = [
    "/bin/sh",
    "-c",
    "grep -m1 -E '^(model name|Model|Hardware|cpu model)' /proc/cpuinfo",
]


DATA_PROBE = [
    "/bin/sh",
    "-c",
    f"stat -f -c '%T %a %S' {LAYOUT.data}; g++ -dumpfullversion -dumpversion",
]
"""The data volume's filesystem type, free blocks and block size; the compiler's version."""


def parse_data_probe(output: str) -> tuple[Medium, int, str]:
    """What backs the data volume, its free bytes, and the compiler (``gcc 12.2.0``),
    from :data:`DATA_PROBE`'s two lines."""
    lines = output.splitlines()
    parts = lines[0].split() if lines else []
    compiler = f"gcc {lines[1].strip()}" if len(lines) > 1 and lines[1].strip() else "unknown"
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return "unknown", 0, compiler
    medium: Medium = "tmpfs" if parts[0] in MEMORY_FILESYSTEMS else "disk"
    return medium, int(parts[1]) * int(parts[2]), compiler


class DockerHostFacts(BaseModel):
    """The Docker host an evaluation ran on, recorded with its results."""

    model_config = ConfigDict(frozen=True)

    machine: str
    """How the user named the machine."""
    host_name: str
    cpu_model: str
    cpu_count: int
    memory_bytes: int
    kernel: str
    operating_system: str
    architecture: str
    docker_version: str
    api_version: str
    cgroup_version: str


def host_facts(
    machine: str, info: Mapping[str, Any], api_version: str, cpu_model: str
) -> DockerHostFacts:
    return DockerHostFacts(
        machine=machine,
        host_name=str(info.get("Name", "")),
        cpu_model=cpu_model or "unknown",
        cpu_count=int(info.get("NCPU") or 0),
        memory_bytes=int(info.get("MemTotal") or 0),
        kernel=str(info.get("KernelVersion", "")),
        operating_system=str(info.get("OperatingSystem", "")),
        architecture=str(info.get("Architecture", "")),
        docker_version=str(info.get("ServerVersion", "")),
        api_version=api_version,
        cgroup_version=str(info.get("CgroupVersion", "1")),
    )


def parse_cpu_model(output: bytes) -> str:
    line = output.decode(errors="replace").strip().splitlines()
    if not line:
        return ""
    return line[0].split(":", 1)[-1].strip()


def parse_cpuset(text: str) -> tuple[int, ...]:
    """``0-2,5`` -> (0, 1, 2, 5)."""
    cpus: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return tuple(sorted(set(cpus)))


def limits_applied(
    host_config: Mapping[str, Any],
    info: Mapping[str, Any],
    warnings: Sequence[str],
) -> LimitsApplied:
    """Reads back what the daemon recorded for the container, not what was asked."""
    notes = [w for w in warnings if w]
    cpuset_text = str(host_config.get("CpusetCpus") or "")
    cpuset = parse_cpuset(cpuset_text) if cpuset_text else None
    nano = int(host_config.get("NanoCpus") or 0)
    if nano:
        cpus = nano / 1e9
    elif cpuset:
        cpus = float(len(cpuset))
    else:
        cpus = float(info.get("NCPU") or 0)
    memory: int | None = int(host_config.get("Memory") or 0) or None
    if memory is not None and info.get("MemoryLimit") is False:
        notes.append("the host kernel does not enforce memory limits")
        memory = None
    if memory is not None and info.get("SwapLimit") is False:
        notes.append("swap is not limited: the host kernel lacks swap accounting")
    pids: int | None = int(host_config.get("PidsLimit") or 0) or None
    if pids is not None and info.get("PidsLimit") is False:
        notes.append("the host kernel does not enforce a pids limit")
        pids = None
    network = str(host_config.get("NetworkMode", "")) != "none"
    return LimitsApplied(
        cpus=cpus,
        cpuset=cpuset,
        memory_bytes=memory,
        pids=pids,
        network=network,
        warnings=tuple(dict.fromkeys(notes)),
    )
