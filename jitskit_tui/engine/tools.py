"""The tools agents act through, shared by the scripted agent and model agents.

A :class:`ToolBox` is made for one role's turn. The coder may list, read, write, edit and
delete files under `store/` only, build and quick-test the store through the real
evaluator, read results, the spec and the store header, and finish. The auditor reads
`store/` and `audit/`, writes under `audit/` only, registers tests in the suite and
proposes harness changes. The naive experiment's agent (played as the coder) has the
coder's file tools, the spec and the header, and a `benchmark` that reports throughput
only and ends the iteration. Paths are workspace-relative (`store/table.cc`); absolute
paths, `..`, symbolic links and anything outside the role's folders are refused with a
tool error the agent can read, never an exception.

Every call is a pair of events (`tool_call_started`, `tool_call_finished`); a pause takes
effect before a call; `next-tool` steering is handed over with the result after it. A
backend whose model has file tools of its own (Claude Code) shows their calls through
:meth:`ToolBox.native_started` and :meth:`ToolBox.native_finished`, the same events.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol

from pydantic import JsonValue, ValidationError

from jitskit_tui.engine.audit_suite import load_suite, save_suite
from jitskit_tui.engine.tool_inputs import (
    AddAuditTest,
    Benchmark,
    BuildAndTest,
    DeleteFile,
    EditFile,
    Finish,
    ListFiles,
    ProposeHarnessChange,
    ReadFile,
    ReadHeader,
    ReadResults,
    ReadSpec,
    ToolInput,
    WriteFile,
)
from jitskit_tui.engine.workspace import Workspace
from jitskit_tui.protocol.audit import AuditTest
from jitskit_tui.protocol.events import (
    AuditTestAdded,
    Event,
    ProposalMade,
    Role,
    ToolCallFinished,
    ToolCallStarted,
)
from jitskit_tui.protocol.tools import Steering, ToolResult, ToolSpec

MAX_FILE_BYTES = 1 << 20
MAX_READ_CHARS = 200_000
LOGGED_CHARS = 64_000
"""Tool inputs and outputs longer than this are cut in the event log (not for the agent)."""


class ToolError(Exception):
    """A tool call that cannot be done; its message goes back to the agent."""


class ToolHost(Protocol):
    """What the loop provides to a toolbox."""

    def emit(self, event: Event) -> Event: ...

    async def checkpoint(self) -> None:
        """Waits while the run is paused."""

    def take_tool_steering(self, role: Role) -> list[Steering]:
        """Pending `next-tool` steering, now marked applied to ``role``."""

    async def quick_evaluation(self) -> str:
        """Builds and quick-tests `store/` in the benchmark machine; a text report."""

    async def results_text(self, iteration: int | None) -> str:
        """An iteration's result as text (the latest when ``None``)."""

    async def benchmark(self) -> tuple[str, bool]:
        """The naive experiment's benchmark, which ends the iteration (committed, then
        judged by the gates out of the agent's sight): the throughput report, and whether
        that was the experiment's last run."""

    @property
    def spec_text(self) -> str: ...

    @property
    def header_text(self) -> str: ...


Kit = Literal["coder", "auditor", "naive"]
"""A set of tools: a role's in the loop, or the naive experiment's (played as the coder)."""


@dataclass(frozen=True)
class _Tool:
    model: type[ToolInput]
    kits: frozenset[Kit]


_ALL: frozenset[Kit] = frozenset({"coder", "auditor", "naive"})
_TOOLS: dict[str, _Tool] = {
    "list_files": _Tool(ListFiles, _ALL),
    "read_file": _Tool(ReadFile, _ALL),
    "write_file": _Tool(WriteFile, _ALL),
    "edit_file": _Tool(EditFile, _ALL),
    "delete_file": _Tool(DeleteFile, _ALL),
    "build_and_test": _Tool(BuildAndTest, frozenset({"coder"})),
    "benchmark": _Tool(Benchmark, frozenset({"naive"})),
    "read_results": _Tool(ReadResults, frozenset({"coder", "auditor"})),
    "read_spec": _Tool(ReadSpec, _ALL),
    "read_header": _Tool(ReadHeader, _ALL),
    "add_audit_test": _Tool(AddAuditTest, frozenset({"auditor"})),
    "propose_harness_change": _Tool(ProposeHarnessChange, frozenset({"auditor"})),
    "finish": _Tool(Finish, _ALL),
}

_WRITABLE: dict[Role, str] = {"coder": "store", "auditor": "audit"}
_READABLE: dict[Role, tuple[str, ...]] = {"coder": ("store",), "auditor": ("store", "audit")}


def _clip(text: str, limit: int = LOGGED_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _logged_input(arguments: Mapping[str, object]) -> dict[str, JsonValue]:
    logged: dict[str, JsonValue] = {}
    for key, value in arguments.items():
        if isinstance(value, str):
            logged[key] = _clip(value)
        elif value is None or isinstance(value, bool | int | float):
            logged[key] = value
        else:
            logged[key] = _clip(repr(value), 2000)
    return logged


class ToolBox:
    """One role's tools for one turn."""

    def __init__(
        self, ws: Workspace, role: Role, host: ToolHost, iteration: int, *, naive: bool = False
    ) -> None:
        if role not in _WRITABLE or (naive and role != "coder"):
            raise ValueError(f"the {role} has no tools" + (" in the naive experiment" * naive))
        self.ws = ws
        self.role: Role = role
        self.kit: Kit = "naive" if naive else "coder" if role == "coder" else "auditor"
        self.host = host
        self.iteration = iteration
        self.writable = _WRITABLE[role]
        self.readable = _READABLE[role]
        self.finished: str | None = None
        """The summary given to `finish`, once called."""
        self.calls = 0
        self._handlers: dict[str, Callable[[ToolInput], Awaitable[str]]] = {
            "list_files": self._list_files,
            "read_file": self._read_file,
            "write_file": self._write_file,
            "edit_file": self._edit_file,
            "delete_file": self._delete_file,
            "build_and_test": self._build_and_test,
            "benchmark": self._benchmark,
            "read_results": self._read_results,
            "read_spec": self._read_spec,
            "read_header": self._read_header,
            "add_audit_test": self._add_audit_test,
            "propose_harness_change": self._propose,
            "finish": self._finish,
        }

    def specs(self) -> list[ToolSpec]:
        """The tools this role may call, for a model's tool list."""
        out = []
        for name, tool in _TOOLS.items():
            if self.kit in tool.kits:
                schema = tool.model.model_json_schema()
                schema.pop("title", None)
                description = " ".join((tool.model.__doc__ or name).split())
                out.append(ToolSpec(name=name, description=description, input_schema=schema))
        return out

    async def call(
        self, name: str, arguments: Mapping[str, object], call_id: str | None = None
    ) -> ToolResult:
        """Runs one tool call; a bad call is a failed result, never an exception."""
        call_id = call_id or "tool-" + secrets.token_hex(4)
        await self.native_started(call_id, name, arguments)
        iteration = self.iteration  # a naive benchmark run moves the toolbox to the next
        try:
            output = await self._dispatch(name, arguments)
            ok, error = True, ""
        except ToolError as exc:
            output, ok, error = "", False, str(exc)
        self._show_finished(iteration, call_id, name, ok, output, error)
        steering = self.host.take_tool_steering(self.role)
        return ToolResult(ok=ok, output=output if ok else f"error: {error}", steering=steering)

    async def native_started(
        self, call_id: str, name: str, arguments: Mapping[str, object]
    ) -> None:
        """A call is about to run: waits while the run is paused, then shows it. For a
        tool the agent runs itself (Claude Code's Read or Write, after the agent's own
        containment check), the agent calls this and :meth:`native_finished`."""
        await self.host.checkpoint()
        self.calls += 1
        self.host.emit(
            ToolCallStarted(
                iteration=self.iteration,
                call_id=call_id,
                role=self.role,
                name=name,
                input=_logged_input(arguments),
            )
        )

    def native_finished(
        self, call_id: str, name: str, *, ok: bool, output: str = "", error: str = ""
    ) -> list[Steering]:
        """Shows a call's result (a refused call: ``ok`` false, ``error`` saying why);
        returns the `next-tool` steering handed over at this boundary."""
        self._show_finished(self.iteration, call_id, name, ok, output, error)
        return self.host.take_tool_steering(self.role)

    def _show_finished(
        self, iteration: int, call_id: str, name: str, ok: bool, output: str, error: str
    ) -> None:
        self.host.emit(
            ToolCallFinished(
                iteration=iteration,
                call_id=call_id,
                role=self.role,
                name=name,
                ok=ok,
                output=_clip(output),
                error=error,
            )
        )

    async def _dispatch(self, name: str, arguments: Mapping[str, object]) -> str:
        tool = _TOOLS.get(name)
        if tool is None or self.kit not in tool.kits:
            allowed = ", ".join(t for t, spec in _TOOLS.items() if self.kit in spec.kits)
            raise ToolError(f"no tool named {name!r} for the {self.role}; tools: {allowed}")
        try:
            parsed = tool.model.model_validate(dict(arguments))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            )
            raise ToolError(f"bad input for {name}: {problems}") from None
        return await self._handlers[name](parsed)

    # -- paths --------------------------------------------------------------------------

    def resolve(self, path: str, *, write: bool) -> Path:
        """The real path for a workspace-relative ``path``, or a :class:`ToolError`."""
        roots = (self.writable,) if write else self.readable
        where = " or ".join(f"{r}/" for r in roots)
        if not path or "\0" in path:
            raise ToolError("empty path; give a workspace-relative path such as store/store.cc")
        if path.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", path):
            raise ToolError(f"{path}: absolute paths are refused; use a path under {where}")
        parts = PurePosixPath(path.replace("\\", "/")).parts
        if ".." in parts:
            raise ToolError(f"{path}: `..` is refused; use a path under {where}")
        parts = tuple(p for p in parts if p != ".")
        if not parts or parts[0] not in roots:
            verb = "write" if write else "read"
            raise ToolError(
                f"{path}: outside {where}; the {self.role} may {verb} only under {where} "
                f"(for example {roots[0]}/{parts[-1] if parts else 'file.cc'})"
            )
        current = self.ws.root
        for part in parts:
            current = current / part
            if current.is_symlink():
                raise ToolError(f"{path}: {current.relative_to(self.ws.root)} is a symbolic link")
        root = (self.ws.root / parts[0]).resolve()
        real = current.resolve()
        if real != root and root not in real.parents:
            raise ToolError(f"{path}: resolves outside {parts[0]}/")
        return current

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.ws.root).as_posix()

    # -- handlers -----------------------------------------------------------------------

    async def _list_files(self, args: ToolInput) -> str:
        assert isinstance(args, ListFiles)
        folder = self.resolve(args.path, write=False)
        return await asyncio.to_thread(self._listing, folder, args.path)

    def _listing(self, folder: Path, asked: str) -> str:
        if not folder.exists():
            return f"{asked}: empty (no such folder yet)"
        if not folder.is_dir():
            raise ToolError(f"{asked}: not a folder")
        lines = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not Path(dirpath, d).is_symlink())
            for name in sorted(filenames):
                full = Path(dirpath, name)
                kind = " (symbolic link)" if full.is_symlink() else ""
                lines.append(f"{self._rel(full)}  {full.lstat().st_size} bytes{kind}")
        return "\n".join(lines) if lines else f"{asked}: empty"

    async def _read_file(self, args: ToolInput) -> str:
        assert isinstance(args, ReadFile)
        path = self.resolve(args.path, write=False)
        if not path.is_file():
            raise ToolError(f"{args.path}: no such file")
        text = await asyncio.to_thread(path.read_text, errors="replace")
        if len(text) > MAX_READ_CHARS:
            return text[:MAX_READ_CHARS] + f"\n… (cut: the file has {len(text)} characters)"
        return text

    def _write(self, path: Path, content: str) -> None:
        data = content.encode()
        if len(data) > MAX_FILE_BYTES:
            raise ToolError(
                f"{self._rel(path)}: {len(data)} bytes is over the {MAX_FILE_BYTES >> 20} MiB "
                "limit for one file; split it"
            )
        if path.exists() and not path.is_file():
            raise ToolError(f"{self._rel(path)}: a folder is in the way")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def _write_file(self, args: ToolInput) -> str:
        assert isinstance(args, WriteFile)
        path = self.resolve(args.path, write=True)
        existed = path.exists()
        await asyncio.to_thread(self._write, path, args.content)
        lines = args.content.count("\n") + (0 if args.content.endswith("\n") else 1)
        return f"{'replaced' if existed else 'created'} {self._rel(path)} ({lines} lines)"

    async def _edit_file(self, args: ToolInput) -> str:
        assert isinstance(args, EditFile)
        path = self.resolve(args.path, write=True)
        if not path.is_file():
            raise ToolError(f"{args.path}: no such file; create it with write_file")
        text = await asyncio.to_thread(path.read_text)
        count = text.count(args.old)
        if count == 0:
            raise ToolError(
                f"{args.path}: the text to replace was not found (it must match exactly)"
            )
        if count > 1 and not args.replace_all:
            raise ToolError(
                f"{args.path}: the text to replace occurs {count} times; give more context "
                "so it is unique, or set replace_all"
            )
        await asyncio.to_thread(self._write, path, text.replace(args.old, args.new))
        return f"edited {self._rel(path)} ({count if args.replace_all else 1} replacement)"

    async def _delete_file(self, args: ToolInput) -> str:
        assert isinstance(args, DeleteFile)
        path = self.resolve(args.path, write=True)
        if not path.is_file():
            raise ToolError(f"{args.path}: no such file")
        path.unlink()
        return f"deleted {self._rel(path)}"

    async def _build_and_test(self, args: ToolInput) -> str:
        return await self.host.quick_evaluation()

    async def _read_results(self, args: ToolInput) -> str:
        assert isinstance(args, ReadResults)
        return await self.host.results_text(args.iteration)

    async def _benchmark(self, args: ToolInput) -> str:
        report, last = await self.host.benchmark()
        if last:
            self.finished = "the experiment's benchmark runs are used up"
        return report

    async def _read_spec(self, args: ToolInput) -> str:
        return self.host.spec_text

    async def _read_header(self, args: ToolInput) -> str:
        return self.host.header_text

    async def _add_audit_test(self, args: ToolInput) -> str:
        assert isinstance(args, AddAuditTest)
        source = self.resolve(args.file, write=True)
        if not source.is_file():
            raise ToolError(f"{args.file}: no such file under audit/; write the test first")
        suite = load_suite(self.ws.audit)
        if suite.get(args.id) is not None:
            raise ToolError(f"the suite already has a test named {args.id}")
        rel = source.relative_to(self.ws.audit).as_posix()
        suite.tests.append(
            AuditTest(
                id=args.id,
                file=rel,
                severity=args.severity,
                invariant=" ".join(args.invariant.split()),
                added_in=self.iteration,
            )
        )
        save_suite(self.ws.audit, suite)
        self.host.emit(
            AuditTestAdded(
                iteration=self.iteration,
                test_id=args.id,
                severity=args.severity,
                invariant=args.invariant,
                file=f"audit/{rel}",
            )
        )
        return f"added {args.id} ({args.severity}) to audit/suite.yaml"

    async def _propose(self, args: ToolInput) -> str:
        assert isinstance(args, ProposeHarnessChange)
        proposal_id = "p-" + secrets.token_hex(3)
        self.host.emit(
            ProposalMade(
                iteration=self.iteration,
                proposal_id=proposal_id,
                role=self.role,
                title=args.title,
                rationale=args.rationale,
                diff=_clip(args.diff),
            )
        )
        return f"proposal {proposal_id} is waiting for the human's decision"

    async def _finish(self, args: ToolInput) -> str:
        assert isinstance(args, Finish)
        self.finished = " ".join(args.summary.split())
        return "finished"
