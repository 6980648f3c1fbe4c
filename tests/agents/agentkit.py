"""Helpers for the model-agent tests: a small card, the anthropic agent pointed at the
loopback Messages API server, and the scripted "model" turns the tests share."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from messages_server import Message, Received, text, thinking, tool

from jitskit_tui.agents.anthropic.agent import AnthropicAgent
from jitskit_tui.config import AnthropicSettings, RetrySettings
from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.engine.loop import Engine, EngineOptions
from jitskit_tui.engine.setup import create_workspace
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.paths import packaged
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    Event,
    IterationFinished,
    RunFinished,
    RunStarted,
)
from jitskit_tui.sandbox.local import LocalMachine
from jitskit_tui.spec import load_spec

from support.demo_run import demo_card

HERE = Path(__file__).resolve().parent
REFERENCE = packaged("harness", "stores", "reference", "store.cc").read_text()
VALUE_SIZE_TEST = (HERE / "value_size_honoured.cc").read_text()
API_KEY = "sk-ant-test-0123456789abcdef"
PLANNER_MODEL = "claude-opus-5-5"
CODER_MODEL = "claude-sonnet-5-5"


def short_demo(dest: Path) -> Path:
    """specs/demo.yaml with two one-second trials, written to ``dest``: the demo-run tests
    are about the agent, not the numbers (the card's own trials take a minute a run)."""
    return demo_card(dest, {"quick": {"duration": "1s"}, "trials": {"min": 2, "max": 2}})


CARD = """\
# A card whose quick evaluation takes a few seconds on two cores.
name: agents-tiny
requirement:
  operations: [read, upsert, delete, read_modify_write]
  durability: none
environment:
  cpus: 2
  memory_limit: 1GiB
  store_memory_budget: 128MiB
  machine: local
  compiler:
    cxx: g++
    flags: [-O1]
workload:
  mix: {{read: 0.5, update: 0.4, read_modify_write: 0.1}}
  distribution: {{kind: zipfian, constant: 0.99}}
  record_count: 10k
  operation_count: 1M
  duration: 1s
  value_size: 64
  threads: 2
loop:
  iterations: {iterations}
  audit_every: {audit_every}
  models: {{planner: {planner}, coder: {coder}, critic: {coder}, auditor: {planner}}}
  quick: {{operation_count: 300k, duration: 1s}}
  trials: {{min: 2, max: 2}}
{budget}"""


def write_card(
    folder: Path,
    *,
    iterations: int = 10,
    audit_every: int = 10,
    budget: str = "",
    planner: str = PLANNER_MODEL,
    coder: str = CODER_MODEL,
) -> Path:
    path = folder / "agents-tiny.yaml"
    path.write_text(
        CARD.format(
            iterations=iterations,
            audit_every=audit_every,
            budget=f"  budget: {budget}\n" if budget else "",
            planner=planner,
            coder=coder,
        )
    )
    return path


def fast_settings(**changes: object) -> AnthropicSettings:
    """Settings for tests: quick retries, no thinking unless asked."""
    retry = RetrySettings(attempts=6, base_delay_s=0.05, max_delay_s=0.2)
    return AnthropicSettings.model_validate({"retry": retry, **changes})


def new_run(tmp_path: Path, **card: object) -> Workspace:
    spec_path = write_card(tmp_path, **card)  # type: ignore[arg-type]
    return create_workspace(load_spec(spec_path), spec_path, tmp_path / "run")


def open_engine(
    ws: Workspace,
    *,
    iterations: int | None = None,
    key: str = API_KEY,
    settings: AnthropicSettings | None = None,
) -> Engine:
    spec = load_spec(ws.spec_file)
    agent = AnthropicAgent(spec, api_key=key, settings=settings or fast_settings())
    options = EngineOptions(iterations=iterations, seed=7, control_poll_s=0.05)
    return Engine(ws, agent, LocalMachine(), options)


def events_of(ws: Workspace, kind: type[Event]) -> list[Event]:  # type: ignore[valid-type]
    return [e for e in read_events(ws.events) if isinstance(e, kind)]


async def wait_until(predicate: Callable[[], bool], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# -- scripted model turns --------------------------------------------------------------


def plan_reply(title: str = "Reference store, sharded ordered maps") -> Message:
    return Message(
        [
            text(
                f"TITLE: {title}\n\nSixteen shards, each an ordered map under its own "
                "mutex, values in a per-shard arena. Measure reads and RMW separately."
            )
        ]
    )


def write_store(content: str = REFERENCE, say: str = "Writing the store.") -> Message:
    return Message([text(say), tool("write_file", {"path": "store/store.cc", "content": content})])


def finish(summary: str = "Reference store with 16 ordered shards") -> Message:
    return Message([tool("finish", {"summary": summary})])


def critic_reply(words: str = "Reads dominate; the shard mutexes are the next cost.") -> Message:
    return Message([text(words)])


def audit_turns(severity: str = "log") -> list[Message]:
    return [
        Message(
            [
                text("The Read path copies a fixed size; testing that value_size is honoured."),
                tool(
                    "write_file",
                    {"path": "audit/value-size-honoured.cc", "content": VALUE_SIZE_TEST},
                ),
            ]
        ),
        Message(
            [
                tool(
                    "add_audit_test",
                    {
                        "id": "value-size-honoured",
                        "file": "audit/value-size-honoured.cc",
                        "severity": severity,
                        "invariant": "Values of the configured value_size round-trip intact.",
                    },
                )
            ]
        ),
        Message([text("Added one test."), tool("finish", {"summary": "audit done"})]),
    ]


def quiet_audit() -> list[Message]:
    return [Message([text("Nothing new found."), tool("finish", {"summary": "nothing new"})])]


def thinking_plan() -> Message:
    reply = plan_reply()
    reply.content.insert(0, thinking("The workload is half reads; shard to cut contention."))
    return reply


def last_tool_results(request: Received) -> str:
    return "\n".join(str(r.get("content")) for r in request.tool_results())


# -- a two-iteration run of the demo card ----------------------------------------------

DEMO_TURNS = [
    (1, "planner"),
    (1, "coder"),
    (1, "critic"),
    (2, "planner"),
    (2, "coder"),
    (2, "critic"),
    (2, "auditor"),  # not on the demo's every-3 schedule: the budget's last iteration
]


def demo_run_events(ws_dir: Path, agent: str, stdout: str) -> list[Event]:
    """The events of `jitskit run specs/demo.yaml --iterations 2 --transcript`, checked to
    have gone through both iterations and all four roles, the transcript printed."""
    events = read_events(Workspace(ws_dir).events)
    started = events[0]
    assert isinstance(started, RunStarted) and started.spec_name == "demo"
    assert started.agent == agent and started.iterations == 2
    finished = [e for e in events if isinstance(e, IterationFinished)]
    assert [(e.iteration, e.verdict) for e in finished] == [(1, "pass"), (2, "pass")]
    turns = [(e.iteration, e.role) for e in events if isinstance(e, AgentTurnFinished) and e.ok]
    assert turns == DEMO_TURNS
    last = events[-1]
    assert isinstance(last, RunFinished) and last.status == "finished"
    assert "Reads dominate" in stdout  # the transcript streamed to the terminal
    return events


def assert_key_nowhere(ws_dir: Path, key: str, *outputs: str) -> None:
    """Not in any file of the workspace, its git objects, or the program's output."""
    secret = key.encode()
    found = []
    for dirpath, _, filenames in os.walk(ws_dir):
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink() and secret in path.read_bytes():
                found.append(str(path.relative_to(ws_dir)))
    assert found == []
    objects = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=ws_dir,
        capture_output=True,
        check=True,
    ).stdout
    assert len(objects) > 1000 and secret not in objects
    assert not any(key in output for output in outputs)
