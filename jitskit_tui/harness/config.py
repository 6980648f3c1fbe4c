"""Turning a spec card into the harness's flat `key=value` configuration.

See docs/harness-protocol.md for the keys. One spec gives several configurations: the
quick and full benchmark sizes, the gates' and the memory canary's.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Literal

from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.spec.model import TRIAL_SECONDS, Hotspot, Latest, SpecCard, Uniform, Zipfian
from jitskit_tui.spec.presets import OpKind

Size = Literal["quick", "full"]

_MIX_KEYS: dict[OpKind, str] = {
    "read": "mix_read",
    "update": "mix_update",
    "insert": "mix_insert",
    "scan": "mix_scan",
    "read_modify_write": "mix_rmw",
    "delete": "mix_delete",
}
_OPERATION_KEYS = {
    "read": "read",
    "upsert": "upsert",
    "delete": "delete",
    "read_modify_write": "rmw",
    "scan": "scan",
}
TICK_MS = 100
"""Progress and benchmark tick period; ``gate_benchmark.clock_skew`` reads ticks."""


def spec_sha256(spec: SpecCard) -> str:
    """A stable fingerprint of everything in the card that affects a measurement."""
    return hashlib.sha256(spec.model_dump_json(exclude={"description"}).encode()).hexdigest()


TRACE_OPS = (200_000, 8_000_000)
"""The fewest and most operations a trial's trace holds: fewer lets the caches learn a
cycled trace (docs/harness-protocol.md), more only costs memory and generation time."""


@dataclass(frozen=True)
class RunSize:
    record_count: int
    operation_count: int
    """The operations of the size's trace (a trial cycles through it); 0: not given."""
    duration_s: float
    """One trial's timed length, warm-up included."""


def run_size(spec: SpecCard, size: Size) -> RunSize:
    wl = spec.workload
    chosen = spec.loop.quick if size == "quick" else spec.loop.full
    records = chosen.record_count or wl.record_count
    ops = chosen.operation_count or wl.operation_count
    if size == "quick" and chosen.operation_count is None and wl.operation_count:
        # No quick trace given: a tenth of the full one.
        ops = max(1, wl.operation_count // 10)
    duration = chosen.duration or TRIAL_SECONDS[size]
    return RunSize(record_count=records, operation_count=ops or 0, duration_s=duration)


def harness_config(
    spec: SpecCard,
    size: Size = "quick",
    *,
    cpus: tuple[int, ...] | None = None,
    seed: int | None = None,
    mem_budget_bytes: int | None = None,
    record_count: int | None = None,
    operation_count: int | None = None,
    duration_s: float | None = None,
    warmup_s: float = 0.0,
    driver_floor_ms: int | None = None,
) -> dict[str, str]:
    """The harness configuration for one run; keyword arguments override the spec's.

    ``warmup_s`` cuts that much of a benchmark's run phase from its figures (0: none);
    ``driver_floor_ms`` is how long the harness measures its own cost first (``None``:
    the harness's default; 0: skip)."""
    wl, env, req = spec.workload, spec.environment, spec.requirement
    sized = run_size(spec, size)
    config: dict[str, str] = {
        "value_size": str(wl.value_size),
        "threads": str(wl.threads),
        "cpus": ",".join(map(str, cpus)) if cpus else "",
        "record_count": str(record_count if record_count is not None else sized.record_count),
        "operation_count": str(
            operation_count if operation_count is not None else sized.operation_count
        ),
        "duration_s": f"{duration_s if duration_s is not None else sized.duration_s:g}",
        "seed": str(seed if seed is not None else wl.seed),
        "mem_budget_bytes": str(
            mem_budget_bytes if mem_budget_bytes is not None else env.store_memory_budget
        ),
        "data_dir": "" if req.durability == "none" else LAYOUT.store_data,
        "durability": req.durability,
        "tick_ms": str(TICK_MS),
        "warmup_s": f"{warmup_s:g}",
        "operations": ",".join(_OPERATION_KEYS[op] for op in req.operations),
    }
    mix = wl.effective_mix()
    for op, key in _MIX_KEYS.items():
        config[key] = f"{mix.get(op, 0.0):.6f}"
    dist = wl.effective_distribution()
    config["distribution"] = dist.kind
    match dist:
        case Zipfian() | Latest():
            config["zipfian_constant"] = f"{dist.constant:g}"
        case Hotspot():
            config["hotspot_data_fraction"] = f"{dist.data_fraction:g}"
            config["hotspot_op_fraction"] = f"{dist.op_fraction:g}"
        case Uniform():
            pass
    config["scan_length_distribution"] = wl.scan_length.distribution
    config["scan_length_min"] = str(wl.scan_length.min)
    config["scan_length_max"] = str(wl.scan_length.max)
    if driver_floor_ms is not None:
        config["driver_floor_ms"] = str(driver_floor_ms)
    return config


def canary_config(
    spec: SpecCard, cpus: tuple[int, ...] | None, rng: random.Random
) -> dict[str, str]:
    """A short run at a budget and seed the candidate has never seen.

    The budget is 35-65% of the spec's and the record count shrinks with it, so an honest
    store fits as before while one sized for the benchmark's numbers does not.
    """
    budget = spec.environment.store_memory_budget
    fraction = rng.uniform(0.35, 0.65)
    sized = run_size(spec, "quick")
    return harness_config(
        spec,
        "quick",
        cpus=cpus,
        seed=rng.randrange(1, 2**63),
        mem_budget_bytes=int(budget * fraction),
        record_count=max(1000, int(sized.record_count * fraction)),
        operation_count=min(sized.operation_count or 200_000, 200_000),
        duration_s=5.0,
        driver_floor_ms=0,
    )


def trial_config(
    spec: SpecCard,
    size: Size,
    cpus: tuple[int, ...] | None,
    *,
    seconds: float,
    warmup_s: float,
    seed: int | None = None,
    floor: bool = True,
) -> dict[str, str]:
    """One trial: ``seconds`` long whatever the store's speed, cycling the size's trace,
    its first ``warmup_s`` cut from the figures; ``seed`` a held-out trace's. ``floor``:
    measure the driver's own cost first (a side's first trial is enough: it is the
    machine's, not the store's)."""
    low, high = TRACE_OPS
    trace = min(max(run_size(spec, size).operation_count or high, low), high)
    config = harness_config(
        spec,
        size,
        cpus=cpus,
        seed=seed,
        operation_count=0,
        duration_s=seconds,
        warmup_s=warmup_s,
        driver_floor_ms=None if floor else 0,
    )
    config["trace_ops"] = str(trace)
    return config


def render(config: dict[str, str]) -> str:
    """The file the harness reads: one `key=value` per line."""
    return "".join(f"{key}={value}\n" for key, value in config.items())
