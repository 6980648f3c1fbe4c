"""Small specs and a one-call evaluation for the harness tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import SpecCard, load_spec_text

OPERATION_NAMES = {"rmw": "read_modify_write", "read_modify_write": "read_modify_write"}


def small_spec(
    durability: str = "none",
    operations: tuple[str, ...] = ("read", "upsert", "delete", "read_modify_write", "scan"),
    *,
    threads: int = 2,
    budget: str = "128MiB",
) -> SpecCard:
    """A card whose quick evaluation takes a few seconds on two cores."""
    ops = [OPERATION_NAMES.get(op, op) for op in operations]
    data_dir = "" if durability == "none" else "  data_dir: {medium: disk, size: 1GiB}\n"
    shares = {"read": 0.5, "update": 0.3, "read_modify_write": 0.1, "delete": 0.05, "scan": 0.05}
    for op in ("read_modify_write", "delete", "scan"):
        if op not in ops:
            shares["update"] += shares.pop(op)
    mix = "{" + ", ".join(f"{op}: {share:.2f}" for op, share in shares.items()) + "}"
    text = f"""\
name: small-{durability}
requirement:
  operations: [{", ".join(ops)}]
  durability: {durability}
environment:
  cpus: 2
  memory_limit: 1GiB
  store_memory_budget: {budget}
{data_dir}workload:
  mix: {mix}
  distribution: {{kind: zipfian, constant: 0.99}}
  record_count: 20k
  operation_count: 100M
  duration: 2s
  value_size: 64
  threads: {threads}
  scan_length: {{distribution: uniform, min: 1, max: 20}}
loop:
  iterations: 3
  quick: {{operation_count: 300k, duration: 1.5s}}
  trials: {{min: 2, max: 2}}
"""
    return load_spec_text(text, file="small.yaml")


def evaluate_store(spec: SpecCard, store: Path, **kwargs: object) -> EvalResult:
    request = EvalRequest(spec=spec, store_dir=store, seed=7, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(evaluate(request, LocalMachine()))
