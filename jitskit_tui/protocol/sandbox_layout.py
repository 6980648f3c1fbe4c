"""Where everything is inside a benchmark machine's sandbox: the security boundary.

Every evaluation, audit run, sandbox and benchmark image names its paths through
:data:`LAYOUT`, so the boundary is written here once. Inside a sandbox:

- the working folder (``/work``) holds what the harness brings and makes: its sources,
  the candidate's ``store/``, the build and the run's configurations. It is also the
  home of the image's user and every command's starting directory;
- the data volume (``/data``), mounted only when the spec's durability needs disk,
  holds the store's data directory (``/data/store``) and each audit test's;
- ``/tmp`` is a private tmpfs, the store's ``$TMPDIR``: it vanishes with the command
  that made it (bubblewrap) or with the evaluation, emptied before every run of the
  store (a container).

The other sides of an evaluation (the incumbent, the baselines it is paired with, the
other store of a compare) live in the working folder too, each in its own folder under
``/work/peers``, uploaded and built before the gates start, like the candidate's.

Every command runs with an :data:`Access`: ``store`` for anything that runs the
candidate's code (the harness's modes, audit tests) and ``build`` for the trusted tools
that compile and prepare (the compiler, ``mkdir``, ``nm``). What a command may write is
:meth:`SandboxLayout.writable`: a ``store`` command only the data volume and its
temporary directory (:attr:`SandboxLayout.store_writable`), everything else (the
working folder with the harness's binaries, the system) is read-only to it, so a write
anywhere else fails while the store runs. Giving the store another place to write is
one edit of ``store_writable`` plus the machine kinds' mounts (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Access = Literal["store", "build"]
"""What a sandboxed command may write: ``store``, the candidate's code runs in it (only
:attr:`SandboxLayout.store_writable`); ``build``, a trusted tool compiles or prepares
(the working folder too)."""


@dataclass(frozen=True)
class SandboxLayout:
    """The sandbox's paths, as the commands inside see them."""

    work: str = "/work"
    """The working folder: harness, store, build, configurations."""
    data: str = "/data"
    """The data volume; present only when the spec's durability needs disk."""
    tmp: str = "/tmp"
    """The private temporary directory, a tmpfs: ``$TMPDIR`` of every command."""

    @property
    def home(self) -> str:
        """The image user's home (``$HOME``) and every command's default directory."""
        return self.work

    @property
    def harness(self) -> str:
        """The packaged harness's sources, checked against their digests before the build."""
        return f"{self.work}/harness"

    @property
    def store(self) -> str:
        """The candidate's (or a baseline adapter's) sources."""
        return f"{self.work}/store"

    @property
    def build(self) -> str:
        return f"{self.work}/build"

    @property
    def configs(self) -> str:
        """The harness configurations of one evaluation (run, canary, durability)."""
        return f"{self.work}/configs"

    @property
    def audit_run(self) -> str:
        """The audit suite's own tree: contract headers, the store, the tests, their build."""
        return f"{self.work}/audit-run"

    @property
    def store_data(self) -> str:
        """The store's data directory, ``StoreConfig::data_dir`` in the harness's runs."""
        return f"{self.data}/store"

    @property
    def peers(self) -> str:
        """The other sides measured in the same evaluation, one folder each."""
        return f"{self.work}/peers"

    def peer(self, side: str) -> str:
        """One side's folder (``baseline:tbb-chm`` -> ``/work/peers/baseline-tbb-chm``):
        its ``store/`` sources and its ``build/`` (objects and ``jitskit-harness``)."""
        folder = "".join(c if c.isalnum() or c in "-_." else "-" for c in side).strip(".")
        if not folder:
            raise ValueError(f"{side!r} cannot name a side's folder")
        return f"{self.peers}/{folder}"

    def config(self, name: str) -> str:
        """The path of the configuration ``name`` (``run``, ``canary``, ``durability``)."""
        return f"{self.configs}/{name}.conf"

    def audit_data(self, test_id: str) -> str:
        """The data directory an audit test's store gets."""
        return f"{self.data}/audit-{test_id}"

    @property
    def volumes(self) -> tuple[str, ...]:
        """The mount points backed by the host (a volume or a bind): the only places files
        move in and out, owned by the sandbox user in the image."""
        return (self.work, self.data)

    @property
    def store_writable(self) -> tuple[str, ...]:
        """Where the store may write: its data volume and its temporary directory."""
        return (self.data, self.tmp)

    def writable(self, access: Access) -> tuple[str, ...]:
        """Where a command with ``access`` may write; the rest is read-only to it."""
        if access == "store":
            return self.store_writable
        return (self.work, *self.store_writable)

    def env(self) -> dict[str, str]:
        """The environment every sandboxed command starts with, besides ``PATH``."""
        return {"HOME": self.home, "TMPDIR": self.tmp}


LAYOUT = SandboxLayout()
"""The layout every benchmark machine gives its sandboxes."""
