"""Evaluation turns on one host: processes that share a turns folder never hold a turn at
the same time, wait in the order they came, say where they wait, and a process killed
while holding its turn gives it back."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from jitskit_tui.sandbox.turns import EvalTurns

TAKER = """
import asyncio, json, sys, time
from pathlib import Path
from jitskit_tui.sandbox.turns import EvalTurns

async def main(folder, name, hold_s, out):
    turns = EvalTurns(Path(folder))
    waits = []
    fd = await turns.take(name, "local", lambda s: waits.append(s and s.describe()))
    start = time.time()
    await asyncio.sleep(float(hold_s))
    end = time.time()
    EvalTurns.give_back(fd)
    Path(out).write_text(json.dumps({"start": start, "end": end, "waits": waits}))

asyncio.run(main(*sys.argv[1:]))
"""


def taker(folder: Path, name: str, hold_s: float, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", TAKER, str(folder), name, str(hold_s), str(out)])


def wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


def waiting(folder: Path) -> int:
    queue = folder / "eval-queue"
    return len([n for n in os.listdir(queue) if not n.startswith(".")]) if queue.is_dir() else 0


def test_processes_take_turns_in_the_order_they_came(tmp_path: Path) -> None:
    outs = [tmp_path / f"{n}.json" for n in ("first", "second", "third")]
    first = taker(tmp_path, "first (iteration 1)", 4, outs[0])
    wait_for(lambda: EvalTurns(tmp_path).holder() == "first (iteration 1)")
    second = taker(tmp_path, "second", 0.5, outs[1])
    wait_for(lambda: waiting(tmp_path) == 1)  # the second waits before the third asks
    third = taker(tmp_path, "third", 0.5, outs[2])
    for process in (first, second, third):
        assert process.wait(timeout=60) == 0
    spans = [json.loads(out.read_text()) for out in outs]
    ordered = [s["start"] for s in spans]
    assert ordered == sorted(ordered), "they did not take turns in the order they came"
    for before, after in itertools.pairwise(spans):
        assert after["start"] >= before["end"], "two turns overlapped"
    assert spans[0]["waits"] == []
    said = [w for w in spans[1]["waits"] if w]
    assert said and said[0] == "queued on local, next in line (first (iteration 1) is evaluating)"
    assert spans[1]["waits"][-1] is None  # told when the wait ended
    assert any("1 job ahead" in w for w in spans[2]["waits"] if w)


def test_a_killed_holder_gives_its_turn_back(tmp_path: Path) -> None:
    holder = taker(tmp_path, "doomed", 600, tmp_path / "never.json")
    wait_for(lambda: EvalTurns(tmp_path).holder() == "doomed")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    after = taker(tmp_path, "next", 0.1, tmp_path / "next.json")
    assert after.wait(timeout=30) == 0
    assert json.loads((tmp_path / "next.json").read_text())["waits"] == []
