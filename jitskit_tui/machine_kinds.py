"""The kinds of benchmark machine a spec's `machine` (or `--machine`) can name: the one
registry of machines.

Each kind says how its address is written (for help and errors), what a spec card may
write (the card's validator checks it), and which module opens it: a function
``open_machine(address) -> BenchMachine``, imported only when a run names the kind, so
the Docker SDK (say) is loaded only for a Docker host. Adding a kind is one module with
that function and one line here. This module sits at the bottom of the layers (the
spec's validator reads it), so it names the openers by module path only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class MachineKind:
    name: str
    form: str
    """How an address of this kind is written: `tcp://HOST:PORT`."""
    pattern: str
    """What a spec card may write for it (the whole address must match)."""
    opener: str
    """``module:function`` that makes the machine from its address (no network yet)."""
    schemes: tuple[str, ...] = ()
    """The URL schemes routed to it (an address without one is matched by pattern)."""
    machine_per_evaluation: bool = False
    """Each evaluation gets a machine to itself (an exclusive Slurm node), so runs that
    share the address evaluate at the same time; otherwise they are one host, and a
    sweep's runs take turns on it."""


_DOCKER = "jitskit_tui.sandbox.docker:open_machine"

MACHINE_KINDS: tuple[MachineKind, ...] = (
    MachineKind("local", "'local'", r"local", "jitskit_tui.sandbox.local:open_machine"),
    MachineKind(
        "docker-tcp", "tcp://HOST:PORT", r"tcp://[^\s/]+", _DOCKER, ("tcp", "http", "https")
    ),
    MachineKind("docker-ssh", "ssh://USER@HOST", r"ssh://[^\s/]+", _DOCKER, ("ssh",)),
    MachineKind("docker-unix", "unix:///PATH", r"unix:///\S+", _DOCKER, ("unix",)),
    MachineKind(
        "slurm",
        "slurm://PARTITION (e.g. slurm://bench)",
        r"slurm://[A-Za-z0-9][A-Za-z0-9_.-]*",
        "jitskit_tui.sandbox.slurm:open_machine",
        ("slurm",),
        machine_per_evaluation=True,
    ),
    MachineKind("docker-context", "a docker context name", r"[A-Za-z0-9][A-Za-z0-9_.+-]*", _DOCKER),
)


def address_forms() -> str:
    """Every way to write a machine, in words: `'local', tcp://HOST:PORT, ... or a docker
    context name`."""
    forms = [kind.form for kind in MACHINE_KINDS]
    return ", ".join(forms[:-1]) + " or " + forms[-1] if len(forms) > 1 else forms[0]


def card_allows(address: str) -> bool:
    """Whether a spec card may name ``address`` as its machine."""
    return any(re.fullmatch(kind.pattern, address) for kind in MACHINE_KINDS)


def kind_for(address: str) -> MachineKind | None:
    """The kind that opens ``address``: by its URL scheme, else by its pattern; ``None``
    when no kind does."""
    scheme, sep, _ = address.partition("://")
    if sep:
        return next((k for k in MACHINE_KINDS if scheme in k.schemes), None)
    return next((k for k in MACHINE_KINDS if re.fullmatch(k.pattern, address)), None)
