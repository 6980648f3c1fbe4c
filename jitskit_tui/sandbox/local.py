"""The local benchmark machine: each evaluation in a bubblewrap jail on this host.

The jail sees a read-only /usr (compilers and libraries), a writable scratch /work, an
optional /data, a private /tmp, no network, no other processes, and none of the user's
files: a candidate store cannot read an API key or write outside its directories.
Memory, CPUs and process count are limited with cgroups where the host allows; where it
does not, the result carries a plain warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from jitskit_tui.protocol.results import MachineFacts
from jitskit_tui.protocol.sandbox_layout import LAYOUT, Access
from jitskit_tui.sandbox import cgroups, facts
from jitskit_tui.sandbox.base import (
    BenchMachine,
    EvalSandbox,
    Limits,
    LimitsApplied,
    MachineError,
    RunResult,
    StdoutLine,
)
from jitskit_tui.sandbox.streams import pump_lines

SANDBOX_UID = 1000
_TOP_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives")


def scratch_base() -> Path:
    """Where evaluation scratch directories go: ``$JITSKIT_SCRATCH`` or the temp dir."""
    return Path(os.environ.get("JITSKIT_SCRATCH") or tempfile.gettempdir())


def system_binds(etc: Iterable[str] = _ETC_FILES) -> list[str]:
    """bwrap arguments showing the system's programs and libraries read-only, and the
    files of `/etc` named in ``etc`` (those that exist)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_DIRS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            args += ["--ro-bind", str(path), f"/{name}"]
    for name in etc:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return [*args, *KERNEL_MOUNTS]


KERNEL_MOUNTS = ("--proc", "/proc", "--dev", "/dev", "--tmpfs", LAYOUT.tmp)
"""A jail's own /proc, a minimal /dev and an empty /tmp."""


class _PeakSampler:
    """Samples the group's unreclaimable memory while a command runs, every 20 ms."""

    def __init__(self, group: cgroups.ResourceGroup) -> None:
        self.group = group
        self.peak: int | None = None

    def sample(self) -> None:
        now = self.group.unreclaimable_memory()
        if now is not None:
            self.peak = now if self.peak is None else max(self.peak, now)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(0.02)

    async def stop(self, task: asyncio.Task[None]) -> int | None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return self.peak


class FolderSandbox(EvalSandbox):
    """A sandbox whose ``/work`` and ``/data`` are folders under ``root`` that this host
    reads and writes directly (on its own disk, or on a filesystem shared with the nodes
    that run the commands), and whose every command is entered through bubblewrap."""

    def __init__(self, root: Path, data_volume: bool) -> None:
        self.root = root
        self.data_volume = data_volume

    def host_path(self, inside: str) -> Path:
        """The host path behind a sandbox path under the working folder or the data volume."""
        for mount, sub in ((LAYOUT.work, "work"), (LAYOUT.data, "data")):
            if inside == mount or inside.startswith(mount + "/"):
                rel = inside[len(mount) :].lstrip("/")
                path = (self.root / sub / rel).resolve()
                if path.is_relative_to((self.root / sub).resolve()):
                    return path
        raise ValueError(f"{inside!r} is not under {LAYOUT.work} or {LAYOUT.data}")

    async def upload(self, src_dir: Path, dest: str) -> None:
        target = self.host_path(dest)
        await asyncio.to_thread(shutil.copytree, src_dir, target, dirs_exist_ok=True)

    async def download(self, src: str, dest_dir: Path) -> None:
        source = self.host_path(src)

        def copy() -> None:
            dest_dir.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest_dir / source.name, dirs_exist_ok=True, symlinks=True)
            elif source.exists():
                shutil.copy2(source, dest_dir / source.name, follow_symlinks=False)

        await asyncio.to_thread(copy)

    def bwrap_argv(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: str, access: Access = "store"
    ) -> list[str]:
        """The bubblewrap command line that runs ``argv`` in this sandbox's jail, where it
        may write only what ``access`` allows (:meth:`SandboxLayout.writable`)."""
        writable = LAYOUT.writable(access)
        args = [
            "bwrap",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--uid",
            str(SANDBOX_UID),
            "--gid",
            str(SANDBOX_UID),
            "--hostname",
            "jitskit-sandbox",
            *system_binds(),
            "--bind" if LAYOUT.work in writable else "--ro-bind",
            str(self.root / "work"),
            LAYOUT.work,
        ]
        if self.data_volume:
            args += ["--bind", str(self.root / "data"), LAYOUT.data]
        # bwrap builds the jail's root and /dev as tmpfs mounts: read-only once every
        # mount is in place, so /tmp and the volumes are the only places to write.
        args += ["--remount-ro", "/dev", "--remount-ro", "/", "--clearenv"]
        base_env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            **LAYOUT.env(),
            "LANG": "C.UTF-8",
        }
        for key, value in {**base_env, **env}.items():
            args += ["--setenv", key, value]
        args += ["--chdir", cwd, "--", *argv]
        return args


def exit_status(returncode: int | None) -> tuple[int | None, int | None]:
    """A jailed command's exit code and the signal that ended it, from bwrap's status."""
    if returncode is not None and returncode < 0:
        return None, -returncode
    if returncode is not None and 128 < returncode <= 128 + 64:
        # bwrap reports a child killed by a signal as 128 + the signal.
        return None, returncode - 128
    return returncode, None


class LocalSandbox(FolderSandbox):
    """A scratch directory on this host, entered through bubblewrap for every command."""

    def __init__(self, root: Path, limits: Limits, data_volume: bool) -> None:
        super().__init__(root, data_volume)
        self.limits = limits
        self._group = cgroups.create_group(limits.memory_bytes, limits.cpuset, limits.pids)
        warnings = list(self._group.warnings)
        if limits.cpuset and not self._group.cpuset_applied:
            warnings.append("CPUs pinned with sched_setaffinity instead of a cpuset")
        self.limits_applied = LimitsApplied(
            cpus=limits.cpus,
            cpuset=limits.cpuset,
            memory_bytes=limits.memory_bytes if self._group.memory_limited else None,
            pids=limits.pids if self._group.pids_limited else None,
            network=False,
            warnings=tuple(warnings),
        )
        self._closed = False

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
        if self._closed:
            raise RuntimeError("sandbox is closed")
        command = self.bwrap_argv(argv, env or {}, cwd, access)
        if self.limits.cpuset and not self._group.cpuset_applied:
            command = ["taskset", "-c", ",".join(map(str, self.limits.cpuset)), *command]
        # The shell joins the cgroup before it becomes bwrap, so nothing escapes the limits.
        procs = " ".join(str(p) for p in self._group.procs_files)
        joiner = 'for f in $JITSKIT_CGROUP_PROCS; do echo $$ > "$f"; done; exec "$@"'
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            joiner,
            "sh",
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "JITSKIT_CGROUP_PROCS": procs},
            limit=16 << 20,
        )
        assert proc.stdout is not None and proc.stderr is not None
        peak = _PeakSampler(self._group)
        sampler = asyncio.create_task(peak.run())
        out = asyncio.create_task(pump_lines(proc.stdout, on_stdout_line))
        err = asyncio.create_task(pump_lines(proc.stderr, None))
        timed_out = False
        try:
            try:
                await asyncio.wait_for(proc.wait(), timeout_s)
            except TimeoutError:
                timed_out = True
                self._kill(proc.pid)
                await proc.wait()
            stdout, stderr = await asyncio.gather(out, err)
        except BaseException:
            # Cancelled (abort) or anything else: nothing may outlive the evaluation.
            self._kill(proc.pid)
            out.cancel()
            err.cancel()
            sampler.cancel()
            with contextlib.suppress(ProcessLookupError):
                await asyncio.shield(proc.wait())
            raise
        code, sig = exit_status(proc.returncode)
        return RunResult(
            exit_code=code,
            signal=sig,
            timed_out=timed_out,
            oom_killed=self._group.oom_killed(),
            stdout=stdout,
            stderr=stderr,
            wall_s=time.monotonic() - started,
            peak_memory_bytes=await peak.stop(sampler),
        )

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        self._group.kill_all()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._remove)

    def _remove(self) -> None:
        self._group.remove()
        shutil.rmtree(self.root, ignore_errors=True)


def _hardware() -> list[str]:
    """CPU model, CPU count and memory of this host: baselines are cached per hardware."""
    facts = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts.append(line.split(":", 1)[1].strip())
                break
    facts.append(str(os.cpu_count()))
    with contextlib.suppress(OSError):
        facts.append(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
    return facts


class LocalMachine(BenchMachine):
    """This host, with bubblewrap as the jail."""

    label = "local"

    @functools.cached_property
    def cache_key(self) -> str:
        # Objects built with one compiler release are not reused after an upgrade.
        versions = []
        for cxx in ("g++", "clang++"):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                out = subprocess.run(
                    [cxx, "--version"], capture_output=True, text=True, timeout=10
                ).stdout
                versions.append(out.splitlines()[0] if out else "")
        return "|".join(["local", *versions, *_hardware()])

    @property
    def this_host(self) -> bool:
        return True

    async def check(self) -> None:
        if shutil.which("bwrap") is None:
            raise MachineError(
                "local",
                "bubblewrap is not installed, and candidate stores never run unconfined",
                "install it with `apt-get install bubblewrap`, or benchmark on a Docker host "
                "with --machine",
            )
        if shutil.which("strace") is None:
            raise MachineError(
                "local",
                "strace is not installed: the evaluator traces the store's refused writes and "
                "its syncs before acknowledgements with it",
                "install it with `apt-get install strace` (scripts/setup-system.sh does)",
            )
        probe = await asyncio.create_subprocess_exec(
            "bwrap",
            "--unshare-all",
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "/usr/bin/true",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await probe.communicate()
        if probe.returncode != 0:
            raise MachineError(
                "local",
                f"bubblewrap cannot make a sandbox here: {err.decode(errors='replace').strip()}",
                "user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1), "
                "or use a Docker host with --machine",
            )

    async def facts(self) -> MachineFacts:
        """This host: the CPUs this process may use, its memory (or its cgroup's limit),
        and the filesystem the data volumes are made on (``$JITSKIT_SCRATCH``)."""
        return await asyncio.to_thread(facts.this_host, self.label, scratch_base())

    async def open(
        self,
        *,
        run_id: str,
        iteration: int | None,
        limits: Limits,
        data_volume: bool,
        time_limit_s: float | None = None,
    ) -> EvalSandbox:
        # No allocation to bound here: each command has its own timeout.
        await asyncio.to_thread(reap_orphans)
        base = scratch_base()
        root = base / f"jitskit-{os.getpid()}-{secrets.token_hex(4)}"
        (root / "work").mkdir(parents=True)
        (root / "data").mkdir()
        (root / "owner").write_text(f"{run_id} {iteration}\n")
        return LocalSandbox(root, limits, data_volume)


def reap_orphans() -> list[str]:
    """Removes scratch directories and cgroups of clients that died without cleaning up."""
    reaped = cgroups.reap_orphans()
    with contextlib.suppress(OSError):
        for d in scratch_base().glob("jitskit-*-*"):
            pid = d.name.split("-")[1]
            if pid.isdigit() and not cgroups._alive(int(pid)) and (d / "owner").exists():
                shutil.rmtree(d, ignore_errors=True)
                reaped.append(str(d))
    return reaped


def open_machine(label: str) -> LocalMachine:
    """This host (the `local` kind of :mod:`jitskit_tui.machine_kinds`)."""
    return LocalMachine()
