"""The off-the-shelf stores a candidate is measured against, and how to build each one.

Each baseline is a C++ adapter implementing the store contract over a system library
(`harness/baselines/<name>/adapter.cc`, tuning notes in `TUNING.md` beside it). The engine
compiles it like a candidate's `store/` sources, adding `compile_flags()` and linking
`link_flags()`, and configures it at the spec's durability level.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

BaselineName = Literal["rocksdb", "leveldb", "lmdb", "tbb-chm", "mutex-map"]
DurabilityLevel = Literal["none", "process_crash", "power_loss"]

# Weakest first: a store meeting a level also meets every level before it.
DURABILITY_ORDER: tuple[DurabilityLevel, ...] = ("none", "process_crash", "power_loss")

UNKNOWN_VERSION = "unknown"

_PACKAGE = "jitskit_tui.harness"


class BaselineSourceError(RuntimeError):
    """The adapter sources cannot be found on disk (a broken or zipped install)."""


class Baseline(BaseModel):
    """One off-the-shelf store behind the store contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: BaselineName
    """The name users pass to `jitskit baselines --only`, and the adapter's directory."""
    description: str
    """One line for tables and reports."""
    libraries: tuple[str, ...]
    """Linker flags for the library, e.g. `-lrocksdb`."""
    defines: tuple[str, ...] = ()
    """Extra `-D` flags the adapter needs, if any."""
    durability: tuple[DurabilityLevel, ...]
    """The strictest level listed is the strictest the adapter meets honestly."""
    supports_scan: bool
    """Whether `Scan` visits keys in ascending order (otherwise it is `kNotSupported`)."""
    debian_package: str
    """The Debian package whose version identifies the library the adapter links."""

    def source_dir(self) -> Path:
        """The adapter's directory (holding `adapter.cc` and `TUNING.md`)."""
        return _baselines_root() / self.name

    def include_dirs(self) -> tuple[Path, ...]:
        """Directories to add with `-I`, besides the harness's own include directory."""
        return (_baselines_root() / "common",)

    def compile_flags(self) -> list[str]:
        """Flags for compiling the adapter, besides the spec's and the harness include."""
        return [f"-I{d}" for d in self.include_dirs()] + list(self.defines)

    def link_flags(self) -> list[str]:
        """Flags for linking the harness binary with this adapter."""
        return list(self.libraries)

    def strictest_durability(self) -> DurabilityLevel:
        """The strictest durability level the adapter meets."""
        return max(self.durability, key=DURABILITY_ORDER.index)

    def meets(self, durability: str, operations: Iterable[str]) -> bool:
        """Whether the adapter can honestly run a spec with this durability and operations."""
        if durability not in DURABILITY_ORDER:
            raise ValueError(
                f"unknown durability level {durability!r}; "
                f"expected one of {', '.join(DURABILITY_ORDER)}"
            )
        strictest = DURABILITY_ORDER.index(self.strictest_durability())
        if DURABILITY_ORDER.index(durability) > strictest:
            return False
        return self.supports_scan or "scan" not in set(operations)

    def library_version(self) -> str:
        """The installed version of `debian_package`, or "unknown" (part of the cache key)."""
        return installed_version(self.debian_package)


BASELINES: tuple[Baseline, ...] = (
    Baseline(
        name="rocksdb",
        description="RocksDB LSM tree: WAL per durability level, LRU block cache, bloom filters",
        libraries=("-lrocksdb",),
        durability=("none", "process_crash", "power_loss"),
        supports_scan=True,
        debian_package="librocksdb-dev",
    ),
    Baseline(
        name="leveldb",
        description="LevelDB LSM tree: log always on, synced for power_loss, bloom filters",
        libraries=("-lleveldb",),
        durability=("none", "process_crash", "power_loss"),
        supports_scan=True,
        debian_package="libleveldb-dev",
    ),
    Baseline(
        name="lmdb",
        description="LMDB copy-on-write B+tree in a memory map, single writer",
        libraries=("-llmdb",),
        durability=("none", "process_crash", "power_loss"),
        supports_scan=True,
        debian_package="liblmdb-dev",
    ),
    Baseline(
        name="tbb-chm",
        description="oneTBB concurrent_hash_map with per-entry locks, in memory",
        libraries=("-ltbb",),
        durability=("none",),
        supports_scan=False,
        debian_package="libtbb-dev",
    ),
    Baseline(
        name="mutex-map",
        description="std::unordered_map behind one std::mutex, in memory",
        libraries=(),
        durability=("none",),
        supports_scan=False,
        debian_package="libstdc++6",
    ),
)


def baseline_names() -> list[str]:
    """Every baseline's name, in catalog order."""
    return [b.name for b in BASELINES]


def select(names: Iterable[str] | None = None) -> list[Baseline]:
    """The baselines named (all when `names` is None), in catalog order.

    Raises ValueError naming the unknown names and the known ones.
    """
    if names is None:
        return list(BASELINES)
    wanted = [n.strip() for n in names if n.strip()]
    unknown = sorted(set(wanted) - set(baseline_names()))
    if unknown:
        raise ValueError(
            f"unknown baseline {', '.join(unknown)}; "
            f"the baselines are {', '.join(baseline_names())}"
        )
    return [b for b in BASELINES if b.name in wanted]


def comparable(
    baselines: Iterable[Baseline], durability: str, operations: set[str]
) -> list[Baseline]:
    """The baselines that meet the spec's durability level and operations (scan).

    A baseline meeting a stricter level also meets a weaker one; the engine then
    configures it at the spec's level, not its strictest.
    """
    return [b for b in baselines if b.meets(durability, operations)]


@functools.cache
def installed_version(package: str) -> str:
    """The installed version of a Debian package, or "unknown" without dpkg or the package."""
    dpkg_query = shutil.which("dpkg-query")
    if dpkg_query is None:
        return UNKNOWN_VERSION
    try:
        done = subprocess.run(
            [dpkg_query, "-W", "-f", "${Version}", package],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN_VERSION
    version = done.stdout.strip()
    return version if done.returncode == 0 and version else UNKNOWN_VERSION


def _baselines_root() -> Path:
    root = resources.files(_PACKAGE) / "baselines"
    if not isinstance(root, Path) or not root.is_dir():
        raise BaselineSourceError(
            f"the baseline adapters are not on disk (looked in {root}); "
            "reinstall jitskit-tui from a wheel or a source checkout, not a zip"
        )
    return root
