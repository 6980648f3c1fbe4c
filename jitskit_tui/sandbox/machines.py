"""Choosing the benchmark machine from a spec's `machine` field or `--machine`."""

from __future__ import annotations

import importlib
from typing import cast

from jitskit_tui.sandbox.base import BenchMachine, MachineError
from jitskit_tui.sandbox.local import LocalMachine


def machine_for(label: str) -> BenchMachine:
    """``local``, or a Docker host: ``tcp://``, ``ssh://``, ``unix://`` or a context name."""
    if label == "local":
        return LocalMachine()
    # The Docker backend (and the docker SDK) is loaded only when a Docker host is named.
    try:
        backend = importlib.import_module("jitskit_tui.sandbox.docker")
    except ImportError as exc:
        raise MachineError(
            label, f"the Docker backend cannot be loaded ({exc})", "reinstall jitskit-tui"
        ) from None
    return cast(BenchMachine, backend.open_machine(label))
