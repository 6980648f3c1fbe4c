"""The input of each agent tool, as pydantic models: validated on every call, and the
JSON schemas a model sees (their docstrings are the tools' descriptions)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jitskit_tui.protocol.audit import TEST_ID


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListFiles(ToolInput):
    """Lists the files under a folder (recursively), with their sizes."""

    path: str = Field(default="store", description="Folder, e.g. `store` or `store/lib`.")


class ReadFile(ToolInput):
    """Reads a text file."""

    path: str = Field(description="Workspace-relative path, e.g. `store/store.cc`.")


class WriteFile(ToolInput):
    """Creates or replaces a file with the given content (folders are created)."""

    path: str = Field(description="Workspace-relative path, e.g. `store/store.cc`.")
    content: str


class EditFile(ToolInput):
    """Replaces an exact, unique occurrence of `old` with `new` in a file."""

    path: str
    old: str = Field(min_length=1, description="Text to find; must occur exactly once.")
    new: str
    replace_all: bool = Field(default=False, description="Replace every occurrence instead.")


class DeleteFile(ToolInput):
    """Deletes a file."""

    path: str


class BuildAndTest(ToolInput):
    """Builds the store and runs the gates and a quick benchmark in the benchmark machine.

    Takes about as long as one iteration's evaluation; returns the gates and figures."""


class Benchmark(ToolInput):
    """Builds the store and benchmarks it on the spec's workload; reports the throughput.

    Each run is recorded as one iteration of the experiment."""


class ReadResults(ToolInput):
    """Reads an earlier iteration's result: gates, figures and log tails."""

    iteration: int | None = Field(default=None, description="Default: the latest.")


class ReadSpec(ToolInput):
    """Reads the run's spec card (YAML)."""


class ReadHeader(ToolInput):
    """Reads `jitskit/kvstore.h`, the store contract."""


class Finish(ToolInput):
    """Ends your turn: the iteration is ready to be evaluated (or the audit is done)."""

    summary: str = Field(min_length=1, description="One line: what changed.")


class AddAuditTest(ToolInput):
    """Registers a test written under `audit/` in the audit suite."""

    id: str = Field(pattern=TEST_ID, description="Lowercase words joined by `-`.")
    file: str = Field(description="The test's path, e.g. `audit/rmw-atomic.cc`.")
    severity: Literal["log", "gate"] = "log"
    invariant: str = Field(min_length=1, description="One line: what must hold.")


class ProposeHarnessChange(ToolInput):
    """Proposes a change to the harness itself; a human approves or rejects it."""

    title: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    diff: str = Field(default="", description="A unified diff against the harness sources.")
