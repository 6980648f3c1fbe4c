"""Runs the real evaluator on the hack stores and says which gate caught each one.

Usage (from the repository root, one evaluation at a time, ~15-40 s each):

    .venv/bin/python tests/stores/catch_matrix.py                 # every store
    .venv/bin/python tests/stores/catch_matrix.py torn_reads ...  # some
    .venv/bin/python tests/stores/catch_matrix.py --control       # the correct stores only
    .venv/bin/python tests/stores/catch_matrix.py --json out.json

A store is CAUGHT when its manifest gate failed with every `detail_contains` word in
the detail, CAUGHT-ELSEWHERE when only other gates failed (or the words are missing),
and SLIPPED when every gate passed: a hole in the evaluator. The control stores must
PASS: correct_fast at every durability level, correct_slow (one lock, a sync per
write) at power_loss.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from jitskit_tui.harness.bundle import Bundle
from jitskit_tui.harness.eval_run import EvalRequest
from jitskit_tui.harness.evaluate import evaluate
from jitskit_tui.harness.stopping import trial_settings
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import SpecCard, load_spec_text

STORES = Path(__file__).resolve().parent
CONTROL = "correct_fast"
SLOW_CONTROL = "correct_slow"
_OPERATION_NAMES = {"rmw": "read_modify_write"}


@dataclass
class Outcome:
    name: str
    durability: str
    expected_gate: str
    verdict: str
    failed: dict[str, str] = field(default_factory=dict)
    throughput_ops_s: float = 0.0
    seconds: float = 0.0


def small_spec(
    durability: str,
    operations: list[str],
    budget: str = "128MiB",
    value_size: int = 64,
    operation_count: str = "300k",
    duration: str = "1.5s",
) -> SpecCard:
    """A two-thread card whose quick evaluation takes seconds (as tests/harness uses)."""
    ops = [_OPERATION_NAMES.get(op, op) for op in operations]
    shares = {"read": 0.5, "update": 0.3, "read_modify_write": 0.1, "delete": 0.05, "scan": 0.05}
    for op in ("read_modify_write", "delete", "scan"):
        if op not in ops:
            shares["update"] += shares.pop(op)
    mix = "{" + ", ".join(f"{op}: {share:.2f}" for op, share in shares.items()) + "}"
    data_dir = "" if durability == "none" else "  data_dir: {medium: disk, size: 1GiB}\n"
    text = f"""\
name: hack-{durability}
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
  operation_count: {operation_count}
  duration: {duration}
  value_size: {value_size}
  threads: 2
  scan_length: {{distribution: uniform, min: 1, max: 20}}
loop:
  iterations: 3
  quick: {{operation_count: {operation_count}, duration: {duration}}}
  trials: {{min: 2, max: 2}}
"""
    return load_spec_text(text, file=f"hack-{durability}.yaml")


CONTROL_OPERATIONS = ["read", "upsert", "delete", "rmw", "scan"]
"""The control stores answer every operation."""


def entry_spec(entry: dict[str, object]) -> SpecCard:
    """The card a hacks.yaml entry is evaluated on: its durability and operations, its
    budget and value size when it names them."""
    return small_spec(
        str(entry["durability"]),
        [str(op) for op in entry["operations"]],  # type: ignore[attr-defined]
        str(entry.get("budget") or "128MiB"),
        int(entry.get("value_size") or 64),  # type: ignore[call-overload]
    )


def control_spec(durability: str) -> SpecCard:
    return small_spec(durability, CONTROL_OPERATIONS)


def _tamper_hook(name: str) -> object:
    script = STORES / name / "tamper.py"
    if not script.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"tamper_{name}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def prepare(bundle: Bundle) -> None:
        module.tamper(bundle.harness)

    return prepare


def evaluate_one(name: str, spec: SpecCard) -> EvalResult:
    return asyncio.run(evaluate_store(name, spec))


async def evaluate_many(
    stores: list[tuple[str, SpecCard]], at_once: int
) -> list[EvalResult | BaseException]:
    """The stores' evaluations, ``at_once`` of them running together (each in its own
    sandbox); an evaluation that raised gives its exception in its place."""
    slots = asyncio.Semaphore(at_once)

    async def one(name: str, spec: SpecCard) -> EvalResult:
        async with slots:
            return await evaluate_store(name, spec)

    return await asyncio.gather(*(one(n, s) for n, s in stores), return_exceptions=True)


async def evaluate_store(name: str, spec: SpecCard) -> EvalResult:
    # One trial: the gates' verdicts are what is asked here, not a figure to trust.
    request = EvalRequest(
        spec=spec,
        store_dir=STORES / name,
        name=name,
        seed=7,
        trials=trial_settings(spec, "quick").pinned(1),
    )
    hook = _tamper_hook(name)
    if hook is not None:
        request.prepare_bundle = hook  # type: ignore[assignment]
    return await evaluate(request, LocalMachine())


def judge(entry: dict[str, object], result: EvalResult) -> str:
    failed = {g.name: g.detail.lower() for g in result.failed_gates}
    if not failed:
        return "SLIPPED"
    detail = failed.get(str(entry["gate"]))
    words = [str(w) for w in entry["detail_contains"]]  # type: ignore[attr-defined]
    if detail is not None and all(w in detail for w in words):
        return "CAUGHT"
    return "CAUGHT-ELSEWHERE"


def run(names: list[str], control: bool) -> list[Outcome]:
    manifest = yaml.safe_load((STORES / "hacks.yaml").read_text())["stores"]
    entries = {e["name"]: e for e in manifest}
    outcomes: list[Outcome] = []
    if control:
        runs = [(CONTROL, d) for d in ("none", "process_crash", "power_loss")]
        for name, durability in [*runs, (SLOW_CONTROL, "power_loss")]:
            started = time.monotonic()
            result = evaluate_one(name, control_spec(durability))
            verdict = "PASS" if result.verdict == "pass" else "FALSE-POSITIVE"
            outcomes.append(_outcome(name, durability, "-", verdict, result, started))
            _print(outcomes[-1])
        return outcomes
    for name in names or list(entries):
        entry = entries.get(name)
        if entry is None:
            sys.exit(f"{name}: not in tests/stores/hacks.yaml")
        started = time.monotonic()
        result = evaluate_one(name, entry_spec(entry))
        outcome = _outcome(
            name, entry["durability"], entry["gate"], judge(entry, result), result, started
        )
        outcomes.append(outcome)
        _print(outcome)
    return outcomes


def _outcome(
    name: str, durability: str, gate: str, verdict: str, result: EvalResult, started: float
) -> Outcome:
    return Outcome(
        name=name,
        durability=durability,
        expected_gate=gate,
        verdict=verdict,
        failed={g.name: g.detail for g in result.failed_gates},
        throughput_ops_s=result.throughput_ops_s,
        seconds=round(time.monotonic() - started, 1),
    )


def _print(o: Outcome) -> None:
    print(
        f"{o.verdict:17} {o.name:26} want={o.expected_gate:11} {o.durability:13} "
        f"{o.throughput_ops_s:>12,.0f} ops/s  {o.seconds:5.1f}s",
        flush=True,
    )
    for gate, detail in o.failed.items():
        print(f"    {gate}: {detail[:300]}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="stores to run (default: all)")
    parser.add_argument("--control", action="store_true", help="run the correct stores only")
    parser.add_argument("--json", type=Path, help="write the outcomes here")
    args = parser.parse_args()
    outcomes = run(args.names, args.control)
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2))
    bad = [o for o in outcomes if o.verdict in {"SLIPPED", "FALSE-POSITIVE"}]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
