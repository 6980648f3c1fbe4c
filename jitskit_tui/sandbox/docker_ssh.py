"""The ssh:// transport: a private unix socket whose connections are carried over ssh.

Each connection the docker SDK opens on the local socket becomes one
``ssh ... docker system dial-stdio`` on the remote host (what the docker CLI does for
``ssh://`` hosts). A couple of ssh processes are kept started ahead of need, so a new
connection (every command's output stream needs one) does not wait for an ssh
handshake. The ssh client runs in batch mode (it never prompts, so the terminal UI is
never disturbed and a refused key is an error, not a hang), with a connect timeout and
keep-alives; its error output is kept so a failure can say exactly what ssh said. When
this process dies the ssh children see their standard input close and exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.sandbox.docker_endpoint import SshTarget

_CHUNK = 65536
SPARES = 2


def _ssh_binary() -> str | None:
    return shutil.which("ssh")


@dataclass
class _BridgeState:
    """What the cleanup needs, kept apart from the bridge so a finalizer can hold it."""

    directory: Path
    listener: socket.socket | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    procs: set[subprocess.Popen[bytes]] = field(default_factory=set)
    spares: list[subprocess.Popen[bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _cleanup(state: _BridgeState) -> None:
    state.stopping.set()
    if state.listener is not None:
        with contextlib.suppress(OSError):
            state.listener.close()
    with state.lock:
        procs = [*state.procs, *state.spares]
        state.spares.clear()
    for proc in procs:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            proc.wait(timeout=2)
    shutil.rmtree(state.directory, ignore_errors=True)


class SshBridge:
    """A local unix socket that reaches a remote Docker daemon through ssh."""

    def __init__(
        self,
        target: SshTarget,
        *,
        ssh_config: Path | None = None,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.target = target
        self.ssh_config = ssh_config
        self.connect_timeout_s = connect_timeout_s
        self._last_error: str | None = None
        self._error_lock = threading.Lock()
        # Short path: unix socket paths are limited to ~104 bytes on macOS.
        base = "/tmp" if Path("/tmp").is_dir() else None
        self._state = _BridgeState(directory=Path(tempfile.mkdtemp(prefix="jk-ssh-", dir=base)))
        self._finalizer = weakref.finalize(self, _cleanup, self._state)
        self._thread: threading.Thread | None = None

    @property
    def socket_path(self) -> Path:
        return self._state.directory / "docker.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def last_error(self) -> str | None:
        """What the most recent failed ssh said on standard error, if one failed."""
        with self._error_lock:
            return self._last_error

    def base_argv(self) -> list[str]:
        """The ssh command line up to (not including) the destination."""
        ssh = _ssh_binary() or "ssh"
        argv = [ssh]
        if self.ssh_config is not None:
            argv += ["-F", str(self.ssh_config)]
        timeout = max(1, round(self.connect_timeout_s))
        argv += [
            "-o", "BatchMode=yes",
            "-o", f"ConnectTimeout={timeout}",
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=4",
            "-o", "ControlMaster=no",
            "-T", "-x", "-a",
        ]  # fmt: skip
        if self.target.port is not None:
            argv += ["-p", str(self.target.port)]
        if self.target.user:
            argv += ["-l", self.target.user]
        return argv

    def command(self) -> list[str]:
        return [*self.base_argv(), "--", self.target.host, "docker", "system", "dial-stdio"]

    def start(self) -> str:
        """Starts listening; returns the ``unix://`` URL to give the docker SDK."""
        if self._thread is not None:
            return self.url
        if _ssh_binary() is None:
            raise FileNotFoundError("ssh")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o600)
        listener.listen(16)
        listener.settimeout(0.5)
        self._state.listener = listener
        self._refill()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"ssh-bridge {self.target.display}", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._finalizer()

    def _accept_loop(self) -> None:
        state = self._state
        listener = state.listener
        assert listener is not None
        while not state.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(conn,), name="ssh-bridge conn", daemon=True
            ).start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            bufsize=0,
        )

    def _refill(self) -> None:
        """Starts ssh processes ahead of need, up to :data:`SPARES`."""
        state = self._state
        with state.lock:
            missing = SPARES - len(state.spares) if not state.stopping.is_set() else 0
        for _ in range(max(0, missing)):
            try:
                proc = self._spawn()
            except OSError:
                return
            with state.lock:
                if state.stopping.is_set():
                    proc.kill()
                    return
                state.spares.append(proc)

    def _take(self) -> subprocess.Popen[bytes]:
        """A started ssh: a live spare when there is one (a dead one is discarded and a
        fresh one started, so a stale failure is not reported for a new connection)."""
        state = self._state
        with state.lock:
            while state.spares:
                proc = state.spares.pop(0)
                if proc.poll() is None:
                    state.procs.add(proc)
                    return proc
                _discard(proc)
        proc = self._spawn()
        with state.lock:
            state.procs.add(proc)
        return proc

    def _serve(self, conn: socket.socket) -> None:
        state = self._state
        conn.settimeout(None)
        try:
            proc = self._take()
        except OSError as exc:
            self._record_error(f"cannot run ssh: {exc}")
            conn.close()
            return
        self._refill()
        errors: list[bytes] = []
        err_thread = threading.Thread(target=_drain, args=(proc, errors), daemon=True)
        err_thread.start()
        in_thread = threading.Thread(target=_pump_in, args=(conn, proc), daemon=True)
        in_thread.start()
        try:
            # The SDK sees the connection end only after ssh's complaint is recorded, so
            # the error it raises can be explained with what ssh said.
            _pump_out(proc, conn)
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            err_thread.join(timeout=2)
            if proc.returncode not in (0, None):
                text = b"".join(errors).decode(errors="replace").strip()
                self._record_error(text or f"ssh exited with status {proc.returncode}")
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            with state.lock:
                state.procs.discard(proc)

    def _record_error(self, text: str) -> None:
        with self._error_lock:
            self._last_error = text[-4000:]


def _discard(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        proc.wait(timeout=1)


def _pump_in(conn: socket.socket, proc: subprocess.Popen[bytes]) -> None:
    stdin = proc.stdin
    assert stdin is not None
    try:
        while True:
            data = conn.recv(_CHUNK)
            if not data:
                break
            stdin.write(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


def _pump_out(proc: subprocess.Popen[bytes], conn: socket.socket) -> None:
    stdout = proc.stdout
    assert stdout is not None
    fd = stdout.fileno()
    try:
        while True:
            data = os.read(fd, _CHUNK)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass


def _drain(proc: subprocess.Popen[bytes], sink: list[bytes]) -> None:
    stderr = proc.stderr
    assert stderr is not None
    size = 0
    for line in iter(stderr.readline, b""):
        if size < 64 * 1024:
            sink.append(line)
            size += len(line)
