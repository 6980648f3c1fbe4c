"""Opening the benchmark machine a spec's `machine` field or `--machine` names, through
the registry of machine kinds (:mod:`jitskit_tui.machine_kinds`)."""

from __future__ import annotations

import importlib
from typing import cast

from jitskit_tui.machine_kinds import address_forms, kind_for
from jitskit_tui.sandbox.base import BenchMachine, MachineError


def machine_for(label: str) -> BenchMachine:
    """The machine ``label`` names (resolved only: nothing is contacted yet); raises
    :class:`MachineError` when no kind of machine takes it or its kind cannot load."""
    kind = kind_for(label)
    if kind is None:
        raise MachineError(label, "not a machine address", f"use {address_forms()}")
    module_name, _, function = kind.opener.partition(":")
    # A kind's backend (and its SDK) is loaded only when a machine of that kind is named.
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MachineError(
            label, f"the {kind.name} backend cannot be loaded ({exc})", "reinstall jitskit-tui"
        ) from None
    return cast(BenchMachine, getattr(module, function)(label))
