"""The agents' tools: path checks that keep the coder in store/ and the auditor in audit/,
the file tools' semantics, and every call logged as a pair of events."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jitskit_tui.engine.audit_suite import load_suite
from jitskit_tui.engine.tools import ToolBox
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.events import Event, ProposalMade, Role, ToolCallFinished, ToolCallStarted
from jitskit_tui.protocol.tools import Steering


class FakeHost:
    """Records events; hands out steering once; no evaluator."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.steering: list[Steering] = []
        self.handed_to: list[Role] = []

    def emit(self, event: Event) -> Event:
        self.events.append(event)
        return event

    async def checkpoint(self) -> None:
        pass

    def take_tool_steering(self, role: Role) -> list[Steering]:
        handed, self.steering = self.steering, []
        self.handed_to += [role] * len(handed)
        return handed

    async def quick_evaluation(self) -> str:
        return "verdict: pass"

    async def results_text(self, iteration: int | None) -> str:
        return "no results"

    @property
    def spec_text(self) -> str:
        return "name: tiny\n"

    @property
    def header_text(self) -> str:
        return "// kvstore.h\n"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    for folder in ("store", "audit", ".jitskit"):
        (tmp_path / folder).mkdir()
    (tmp_path / "spec.yaml").write_text("name: tiny\n")
    (tmp_path / "outside.txt").write_text("secret\n")
    return Workspace(tmp_path)


def coder(ws: Workspace, host: FakeHost | None = None) -> ToolBox:
    return ToolBox(ws, "coder", host or FakeHost(), iteration=1)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/etc/passwd", "absolute"),
        ("store/../spec.yaml", "`..`"),
        ("../outside.txt", "`..`"),
        ("spec.yaml", "outside store/"),
        ("audit/x.cc", "outside store/"),
        (".jitskit/events.jsonl", "outside store/"),
        ("", "empty path"),
    ],
)
async def test_coder_paths_outside_store_are_refused(ws: Workspace, path: str, why: str) -> None:
    result = await coder(ws).call("write_file", {"path": path, "content": "x"})
    assert not result.ok
    assert why in result.output
    assert (ws.root / "outside.txt").read_text() == "secret\n"


async def test_symbolic_links_are_refused_for_files_and_folders(ws: Workspace) -> None:
    os.symlink(ws.root / "outside.txt", ws.store / "link.cc")
    os.symlink(ws.root, ws.store / "escape")
    tools = coder(ws)
    read = await tools.call("read_file", {"path": "store/link.cc"})
    assert not read.ok and "symbolic link" in read.output
    write = await tools.call("write_file", {"path": "store/escape/outside.txt", "content": "x"})
    assert not write.ok and "symbolic link" in write.output
    assert (ws.root / "outside.txt").read_text() == "secret\n"


async def test_write_edit_read_delete_inside_store(ws: Workspace) -> None:
    tools = coder(ws)
    assert (await tools.call("write_file", {"path": "store/lib/table.h", "content": "a\nb\n"})).ok
    edit = await tools.call("edit_file", {"path": "store/lib/table.h", "old": "b", "new": "c"})
    assert edit.ok
    read = await tools.call("read_file", {"path": "./store/lib/table.h"})
    assert read.output == "a\nc\n"
    listing = await tools.call("list_files", {})
    assert "store/lib/table.h" in listing.output
    assert (await tools.call("delete_file", {"path": "store/lib/table.h"})).ok
    assert not (ws.store / "lib" / "table.h").exists()


async def test_edit_needs_an_exact_unique_match(ws: Workspace) -> None:
    (ws.store / "s.cc").write_text("x = 1;\nx = 1;\n")
    tools = coder(ws)
    twice = await tools.call("edit_file", {"path": "store/s.cc", "old": "x = 1;", "new": "y"})
    assert not twice.ok and "2 times" in twice.output
    missing = await tools.call("edit_file", {"path": "store/s.cc", "old": "z", "new": "y"})
    assert not missing.ok and "not found" in missing.output
    every = await tools.call(
        "edit_file", {"path": "store/s.cc", "old": "x = 1;", "new": "y;", "replace_all": True}
    )
    assert every.ok and (ws.store / "s.cc").read_text() == "y;\ny;\n"


async def test_bad_calls_are_tool_errors(ws: Workspace) -> None:
    tools = coder(ws)
    unknown = await tools.call("rm_rf", {})
    assert not unknown.ok and "no tool named" in unknown.output
    bad = await tools.call("write_file", {"path": "store/a.cc"})
    assert not bad.ok and "content" in bad.output
    extra = await tools.call("read_spec", {"verbose": True})
    assert not extra.ok
    not_for_coder = await tools.call("add_audit_test", {})
    assert not not_for_coder.ok and "no tool named" in not_for_coder.output


async def test_every_call_is_a_pair_of_events_and_steering_comes_with_the_result(
    ws: Workspace,
) -> None:
    host = FakeHost()
    host.steering = [Steering(id="s1", text="use fewer locks")]
    tools = coder(ws, host)
    result = await tools.call("read_spec", {}, call_id="c1")
    assert result.ok and result.output == "name: tiny\n"
    assert result.steering == [Steering(id="s1", text="use fewer locks")]
    assert host.handed_to == ["coder"]
    started, finished = host.events
    assert isinstance(started, ToolCallStarted) and started.call_id == "c1"
    assert isinstance(finished, ToolCallFinished) and finished.ok


async def test_auditor_writes_only_audit_and_registers_tests(ws: Workspace) -> None:
    host = FakeHost()
    tools = ToolBox(ws, "auditor", host, iteration=3)
    (ws.store / "store.cc").write_text("// store\n")
    assert (await tools.call("read_file", {"path": "store/store.cc"})).ok
    refused = await tools.call("write_file", {"path": "store/store.cc", "content": "hack"})
    assert not refused.ok and "outside audit/" in refused.output
    assert (await tools.call("write_file", {"path": "audit/t.cc", "content": "int main(){}"})).ok
    added = await tools.call(
        "add_audit_test",
        {"id": "t-one", "file": "audit/t.cc", "severity": "gate", "invariant": "it holds"},
    )
    assert added.ok, added.output
    suite = load_suite(ws.audit)
    assert [(t.id, t.file, t.severity, t.added_in) for t in suite.tests] == [
        ("t-one", "t.cc", "gate", 3)
    ]
    again = await tools.call(
        "add_audit_test", {"id": "t-one", "file": "audit/t.cc", "invariant": "again"}
    )
    assert not again.ok
    proposal = await tools.call(
        "propose_harness_change", {"title": "seed the canary", "rationale": "because"}
    )
    assert proposal.ok
    assert any(isinstance(e, ProposalMade) for e in host.events)


def test_tool_specs_are_per_role(ws: Workspace) -> None:
    coder_tools = {spec.name for spec in coder(ws).specs()}
    auditor_tools = {spec.name for spec in ToolBox(ws, "auditor", FakeHost(), 1).specs()}
    assert "build_and_test" in coder_tools and "add_audit_test" not in coder_tools
    assert "add_audit_test" in auditor_tools and "build_and_test" not in auditor_tools
    write = next(s for s in coder(ws).specs() if s.name == "write_file")
    assert write.input_schema["required"] == ["path", "content"]
