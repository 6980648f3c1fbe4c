"""Real daemons for the Docker tests: the local one, a second dockerd behind TLS on a
loopback TCP port, and an sshd on loopback that reaches the local daemon.

Everything here starts real processes and waits until they answer; each starter
returns a handle whose ``stop()`` ends only what it started.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from jitskit_tui.machine.builder import build_image, present
from jitskit_tui.machine.recipe import RECIPE
from jitskit_tui.sandbox.docker_reaper import L_RUN

LOCAL_SOCKET = "/var/run/docker.sock"
LOCAL_URL = f"unix://{LOCAL_SOCKET}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not come up within {timeout_s:.0f}s")


def local_api(timeout: int = 60) -> docker.APIClient:
    return docker.APIClient(base_url=LOCAL_URL, version="1.41", timeout=timeout)


def local_daemon_answers() -> bool:
    try:
        api = local_api(timeout=5)
        try:
            return bool(api.ping())
        finally:
            api.close()
    except Exception:
        return False


def ensure_image(api: docker.APIClient, log: Path) -> None:
    """Builds the benchmark image on the local daemon unless it is there (auto route)."""
    if present(api, RECIPE.tag) is not None:
        return
    with log.open("a") as sink:
        build_image(api, route="auto", progress=lambda line: print(line, file=sink))


def leftovers(api: docker.APIClient, run_id: str) -> list[str]:
    """Containers and volumes labelled with ``run_id``."""
    flt = {"label": f"{L_RUN}={run_id}"}
    found = [f"container {c['Id'][:12]}" for c in api.containers(all=True, filters=flt)]
    volumes = (api.volumes(filters=flt) or {}).get("Volumes") or []
    found += [f"volume {v['Name']}" for v in volumes]
    return found


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_tls_material(directory: Path) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate.

    Returns the client directory (ca.pem, cert.pem, key.pem: DOCKER_CERT_PATH layout);
    the server's files stay in ``directory``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=jitskit test CA", cwd=directory)  # fmt: skip
    (directory / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    )
    (directory / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, subject in (("server", "/CN=127.0.0.1"), ("client", "/CN=jitskit test client")):
        _openssl("req", *ec, "-keyout", f"{name}-key.pem", "-out", f"{name}.csr",
                 "-subj", subject, cwd=directory)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                 "-CAcreateserial", "-out", f"{name}-cert.pem", "-days", "2",
                 "-extfile", f"{name}.ext", cwd=directory)  # fmt: skip
    client = directory / "client"
    client.mkdir(exist_ok=True)
    shutil.copy(directory / "ca.pem", client / "ca.pem")
    shutil.copy(directory / "client-cert.pem", client / "cert.pem")
    shutil.copy(directory / "client-key.pem", client / "key.pem")
    return client


@dataclass
class TlsDaemon:
    """A second dockerd serving the API on tcp://127.0.0.1:PORT with TLS only."""

    url: str
    cert_dir: Path
    root: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def api(self, timeout: int = 60) -> docker.APIClient:
        tls = docker.tls.TLSConfig(
            client_cert=(str(self.cert_dir / "cert.pem"), str(self.cert_dir / "key.pem")),
            ca_cert=str(self.cert_dir / "ca.pem"),
            verify=True,
        )
        api = docker.APIClient(base_url=self.url, tls=tls, version="1.41", timeout=timeout)
        api.trust_env = False  # REQUESTS_CA_BUNDLE would replace the test CA
        return api

    def stop(self) -> None:
        _stop(self.proc)
        for mount in reversed(_mounts_under(self.root)):
            subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _mounts_under(root: Path) -> list[str]:
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    prefix = str(root)
    return [line.split()[1] for line in lines if line.split()[1].startswith(prefix)]


def start_tls_dockerd() -> TlsDaemon:
    # Short root: containerd's sockets live under it and unix paths are limited.
    root = Path(tempfile.mkdtemp(prefix="jkd-", dir="/tmp"))
    cert_dir = make_tls_material(root / "tls")
    port = free_port()
    (root / "daemon.json").write_text("{}\n")
    log = root / "dockerd.log"
    argv = [
        "dockerd",
        "--config-file", str(root / "daemon.json"),
        "--data-root", str(root / "data"),
        "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "dockerd.pid"),
        "-H", f"unix://{root / 'docker.sock'}",
        "-H", f"tcp://127.0.0.1:{port}",
        "--tlsverify",
        "--tlscacert", str(root / "tls" / "ca.pem"),
        "--tlscert", str(root / "tls" / "server-cert.pem"),
        "--tlskey", str(root / "tls" / "server-key.pem"),
        "--bridge=none", "--iptables=false", "--ip-masq=false", "--ip-forward=false",
    ]  # fmt: skip
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    daemon = TlsDaemon(f"tcp://127.0.0.1:{port}", cert_dir, root, proc, log)

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"dockerd exited: {log.read_text()[-2000:]}")
        api = daemon.api(timeout=5)
        try:
            return bool(api.ping())
        finally:
            api.close()

    try:
        wait_until(answers, 60, f"dockerd on {daemon.url}")
    except BaseException as exc:
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        daemon.stop()
        raise RuntimeError(f"{exc}; dockerd's log ends:\n{tail}") from exc
    return daemon


def copy_image(source: docker.APIClient, target: docker.APIClient, tag: str) -> None:
    """Moves an image between daemons through the SDK (save, then load)."""
    if present(target, tag) is not None:
        return
    stream = source.get_image(tag)
    target.load_image(stream)  # type: ignore[no-untyped-call]


@dataclass
class Sshd:
    """An sshd on 127.0.0.1:PORT that lets root in with a key made for the test."""

    url: str
    port: int
    directory: Path
    ssh_config: Path
    """Client configuration: the key, and a known_hosts that holds the host key."""
    proc: subprocess.Popen[bytes]
    extra: list[Path] = field(default_factory=list)

    def stop(self) -> None:
        _stop(self.proc, timeout_s=5)
        shutil.rmtree(self.directory, ignore_errors=True)

    def client_config(self, name: str, **options: str) -> Path:
        """Another client configuration (e.g. a key the server does not accept)."""
        lines = [f"  {key} {value}" for key, value in options.items()]
        path = self.directory / f"{name}.config"
        path.write_text("Host *\n" + "\n".join(lines) + "\n")
        return path


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, capture_output=True, timeout=30)  # fmt: skip


def start_sshd() -> Sshd:
    directory = Path(tempfile.mkdtemp(prefix="jk-sshd-", dir="/tmp"))
    directory.chmod(0o755)
    _keygen(directory / "host_key")
    _keygen(directory / "client_key")
    _keygen(directory / "stranger_key")
    authorized = directory / "authorized_keys"
    authorized.write_text((directory / "client_key.pub").read_text())
    authorized.chmod(0o600)
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {directory / 'host_key'}\n"
        f"AuthorizedKeysFile {authorized}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPidFile none\nAllowStreamLocalForwarding no\n"
        "AllowTcpForwarding no\nX11Forwarding no\nPrintMotd no\n"
    )
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)
    known_hosts = directory / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {(directory / 'host_key.pub').read_text()}")
    log = directory / "sshd.log"
    proc = subprocess.Popen(
        [shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sshd = Sshd(f"ssh://root@127.0.0.1:{port}", port, directory, directory / "client.config",
                proc)  # fmt: skip
    sshd.client_config(
        "client",
        IdentityFile=str(directory / "client_key"),
        IdentitiesOnly="yes",
        UserKnownHostsFile=str(known_hosts),
        StrictHostKeyChecking="yes",
    )

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {log.read_text() if log.exists() else ''}")
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    try:
        wait_until(listening, 20, f"sshd on port {port}")
    except BaseException:
        sshd.stop()
        raise
    return sshd


def make_context(config_dir: Path, name: str, host: str, tls_dir: Path | None) -> None:
    """A docker context, written where and how the docker CLI keeps it."""
    import hashlib
    import json

    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps(
            {
                "Name": name,
                "Metadata": {"Description": "jitskit test"},
                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
            }
        )
    )
    if tls_dir is not None:
        target = config_dir / "contexts" / "tls" / digest / "docker"
        target.mkdir(parents=True)
        for file in ("ca.pem", "cert.pem", "key.pem"):
            shutil.copy(tls_dir / file, target / file)


def serve() -> None:
    """Starts the TLS daemon and the sshd, prints how to reach them, waits for Ctrl-C."""
    import sys

    if not local_daemon_answers():
        sys.exit(f"no Docker daemon answers on {LOCAL_URL}: run scripts/start-dockerd.sh")
    api = local_api(timeout=3600)
    ensure_image(api, Path(tempfile.gettempdir()) / "jitskit-image-build.log")
    tls = start_tls_dockerd()
    sshd: Sshd | None = None
    try:
        target = tls.api(timeout=600)
        copy_image(api, target, RECIPE.tag)
        target.close()
        sshd = start_sshd()
        print(f"tcp (TLS): {tls.url}")
        print(f"  export DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={tls.cert_dir}")
        print(f"ssh:       {sshd.url}")
        print(f"  export JITSKIT_SSH_CONFIG={sshd.ssh_config}")
        print("Ctrl-C (or SIGTERM) stops both.", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while tls.proc.poll() is None and sshd.proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if sshd is not None:
            sshd.stop()
        tls.stop()
        api.close()


if __name__ == "__main__":
    serve()
