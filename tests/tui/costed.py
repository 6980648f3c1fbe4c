"""The recorded run as a model-driven agent would have logged it: a `cost_update` after
every agent turn, so the cost screen and `jitskit show` have figures to show."""

from __future__ import annotations

import json
from pathlib import Path

from recording import restore

# What one turn of each role costs in iteration 1; iteration n costs n times as much.
TURN = {
    "planner": (12_000, 1_500, 20_000, 4_000, 0.12),
    "coder": (40_000, 9_000, 150_000, 8_000, 0.85),
    "critic": (8_000, 800, 10_000, 0, 0.05),
    "auditor": (15_000, 2_000, 30_000, 5_000, 0.21),
}
BUDGET = "  budget: {tokens: 2.5M, dollars: 7, wall_time: 10m}\n"


def write_costed(dest: Path) -> Path:
    """The recorded run as if a model-driven agent made it: each agent turn followed by
    its `cost_update`, the agent named `anthropic`, and caps in the run's card."""
    ws = restore(dest)
    log = ws / ".jitskit" / "events.jsonl"
    out: list[dict[str, object]] = []
    for line in log.read_text().splitlines():
        event = json.loads(line)
        if event["type"] == "run_started":
            event["agent"] = "anthropic"
            event["agent_options"] = {}
        out.append(event)
        if event["type"] == "agent_turn_finished":
            n = int(event["iteration"])
            inp, outp, read, write, dollars = TURN[str(event["role"])]
            out.append(
                {
                    "ts": event["ts"],
                    "iteration": n,
                    "type": "cost_update",
                    "role": event["role"],
                    "model": "claude-test",
                    "input_tokens": inp * n,
                    "output_tokens": outp * n,
                    "cache_read_tokens": read * n,
                    "cache_write_tokens": write * n,
                    "dollars": dollars * n,
                }
            )
    for seq, event in enumerate(out, start=1):
        event["seq"] = seq
    log.write_text("".join(json.dumps(e) + "\n" for e in out))
    spec = ws / "spec.yaml"
    spec.write_text(spec.read_text() + BUDGET)
    return ws
