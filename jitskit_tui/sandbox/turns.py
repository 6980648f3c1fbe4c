"""Taking turns on one machine: the evaluations of several runs on a single host (a sweep
on ``local`` or one Docker host) one at a time, never two benchmarks at once.

Two benchmarks on one host corrupt each other's numbers, and so does a build beside a
benchmark, so a whole evaluation (from opening its sandbox to closing it) is one turn. The
turn is an exclusive ``flock`` on a file in a folder the runs share (a sweep's), so runs
in separate processes take turns as well as engines in one, and a process killed with
``kill -9`` gives its turn back with its file descriptors. Waiting evaluations queue in
order of arrival: each leaves a ticket (a small file) and takes the lock only when its
ticket is the oldest of the living ones, so no run waits forever behind a busier one.
Agents' turns are not evaluations: they overlap freely.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access
from jitskit_tui.sandbox.base import (
    QUEUE_NOTICE_S,
    BenchMachine,
    EvalSandbox,
    Limits,
    QueueObserver,
    QueueState,
    RunResult,
    StdoutLine,
)
from jitskit_tui.sandbox.owner import client_identity, pid_gone

POLL_S = 0.2
LOCK_NAME = "eval.lock"
TICKETS = "eval-queue"


@dataclass(frozen=True)
class Ticket:
    path: Path
    host: str
    pid: int
    start: str
    holder: str

    def gone(self) -> bool:
        """Its process ended without taking its ticket back (killed)."""
        host, _, _ = client_identity()
        return self.host == host and pid_gone(self.pid, self.start)


class EvalTurns:
    """The turns of every evaluation on one machine, kept in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock_file = folder / LOCK_NAME
        self.tickets = folder / TICKETS

    def holder(self) -> str:
        """Who has the turn now, as it wrote itself into the lock file (``""``: nobody
        said)."""
        try:
            return str(json.loads(self.lock_file.read_text()).get("holder", ""))
        except (OSError, ValueError, AttributeError):
            return ""

    def _queue(self) -> list[Ticket]:
        """The living tickets, oldest first; tickets of killed processes are removed."""
        living = []
        try:
            names = sorted(os.listdir(self.tickets))
        except FileNotFoundError:
            return []
        for name in names:
            path = self.tickets / name
            try:
                data = json.loads(path.read_text())
                ticket = Ticket(path, data["host"], int(data["pid"]), data["start"], data["holder"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # being written, or not ours to judge
            if ticket.gone():
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            living.append(ticket)
        return living

    def _take_ticket(self, holder: str) -> Path:
        self.tickets.mkdir(parents=True, exist_ok=True)
        host, pid, start = client_identity()
        path = self.tickets / f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        tmp = path.with_name(f".{path.name}")
        tmp.write_text(json.dumps({"host": host, "pid": pid, "start": start, "holder": holder}))
        os.replace(tmp, path)
        return path

    def _try_lock(self, holder: str) -> int | None:
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"holder": holder, "pid": os.getpid()}).encode(), 0)
        return fd

    async def take(self, holder: str, where: str, on_wait: QueueObserver | None) -> int:
        """Waits for the turn (``holder`` says who waits, for the others' messages); returns
        the lock's descriptor, for :meth:`give_back`. ``on_wait`` hears the place in the
        queue while it waits, and ``None`` when the wait is over."""
        await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
        ticket = await asyncio.to_thread(self._take_ticket, holder)
        since = time.monotonic()
        told: QueueState | None = None
        try:
            while True:
                queue = await asyncio.to_thread(self._queue)
                ahead = next((i for i, t in enumerate(queue) if t.path == ticket), 0)
                if ahead == 0:
                    fd = await asyncio.to_thread(self._try_lock, holder)
                    if fd is not None:
                        return fd
                if on_wait is not None and time.monotonic() - since >= QUEUE_NOTICE_S:
                    busy = await asyncio.to_thread(self.holder)
                    reason = f"{busy} is evaluating" if busy else "another run is evaluating"
                    state = QueueState(where=where, ahead=ahead, reason=reason)
                    if state != told:
                        on_wait(state)
                        told = state
                await asyncio.sleep(POLL_S)
        finally:
            with contextlib.suppress(OSError):
                ticket.unlink()
            if told is not None and on_wait is not None:
                on_wait(None)

    @staticmethod
    def give_back(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing drops the flock


class TurnSandbox(EvalSandbox):
    """A sandbox opened in its turn; closing it ends the turn."""

    def __init__(self, inner: EvalSandbox, fd: int) -> None:
        self.inner = inner
        self.limits_applied = inner.limits_applied
        self._fd: int | None = fd

    async def upload(self, src_dir: Path, dest: str) -> None:
        await self.inner.upload(src_dir, dest)

    async def download(self, src: str, dest_dir: Path) -> None:
        await self.inner.download(src, dest_dir)

    async def run(
        self,
        argv: Sequence[str],
        *,
        timeout_s: float,
        on_stdout_line: StdoutLine | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str = LAYOUT.work,
        access: Access = "store",
    ) -> RunResult:
        return await self.inner.run(
            argv,
            timeout_s=timeout_s,
            on_stdout_line=on_stdout_line,
            env=env,
            cwd=cwd,
            access=access,
        )

    async def close(self) -> None:
        try:
            await self.inner.close()
        finally:
            fd, self._fd = self._fd, None
            if fd is not None:
                EvalTurns.give_back(fd)


class TurnTakingMachine(BenchMachine):
    """``inner``, its evaluations taking turns with every other user of ``turns``."""

    def __init__(self, inner: BenchMachine, turns: EvalTurns) -> None:
        self.inner = inner
        self.turns = turns
        self.label = inner.label

    @property
    def cache_key(self) -> str:
        return self.inner.cache_key

    @property
    def build_cache_key(self) -> str:
        return self.inner.build_cache_key

    @property
    def this_host(self) -> bool:
        return self.inner.this_host

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def check(self) -> None:
        await self.inner.check()

    async def facts(self) -> MachineFacts:
        return await self.inner.facts()

    async def open(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        time_limit_s: float | None = None,
    ) -> EvalSandbox:
        what = run_id if iteration is None else f"{run_id} (iteration {iteration})"
        fd = await self.turns.take(what, self.label, self.on_queue)
        try:
            sandbox = await self.inner.open(
                run_id=run_id,
                iteration=iteration,
                limits=limits,
                data_volume=data_volume,
                time_limit_s=time_limit_s,
            )
        except BaseException:
            EvalTurns.give_back(fd)
            raise
        return TurnSandbox(sandbox, fd)
