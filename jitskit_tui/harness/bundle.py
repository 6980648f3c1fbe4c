"""The files an evaluation ships into its sandbox, and their fingerprints.

A bundle is a host directory holding ``harness/`` (a copy of the packaged harness
sources) and ``store/`` (the candidate's sources, or a baseline adapter). The harness
copy is checked against the packaged originals before it is compiled, so a bundle whose
harness was altered fails the `integrity` gate instead of being measured.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from jitskit_tui.paths import packaged

SOURCE_SUFFIXES = (".cc", ".cpp", ".cxx")
MAX_STORE_BYTES = 8 << 20
MAX_STORE_FILES = 500


class BundleError(Exception):
    """The candidate's store directory cannot be evaluated as it is."""


def harness_dir() -> Path:
    return packaged("harness", "cpp")


def file_digests(root: Path) -> dict[str, str]:
    """sha256 of every regular file under ``root``, by relative POSIX path."""
    digests: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            digests[path.relative_to(root).as_posix()] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return digests


def harness_digests() -> dict[str, str]:
    """The fingerprints of the packaged, pristine harness, as a bundle carries it."""
    return {
        name: digest
        for name, digest in file_digests(harness_dir()).items()
        if not name.startswith("tests/")
    }


def digest_of(digests: dict[str, str]) -> str:
    joined = "".join(f"{name}\0{digest}\n" for name, digest in sorted(digests.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


@dataclass(frozen=True)
class Bundle:
    root: Path

    @property
    def harness(self) -> Path:
        return self.root / "harness"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def store_sources(self) -> list[str]:
        """Candidate translation units, relative to ``store/``, in a stable order."""
        return sorted(
            p.relative_to(self.store).as_posix()
            for p in self.store.rglob("*")
            if p.suffix in SOURCE_SUFFIXES and p.is_file()
        )

    def extra_flags(self) -> list[str]:
        """Flags the candidate asks for in ``store/BUILD_FLAGS`` (checked against the spec)."""
        path = self.store / "BUILD_FLAGS"
        if not path.is_file():
            return []
        return [
            line.strip()
            for line in path.read_text(errors="replace").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]


def make_bundle(store_dir: Path, dest: Path) -> Bundle:
    """Copies the packaged harness and the store sources into ``dest``."""
    if not store_dir.is_dir():
        raise BundleError(f"{store_dir}: no such directory; give the store's source directory")
    total = 0
    files = 0
    for path in store_dir.rglob("*"):
        if path.is_symlink():
            raise BundleError(
                f"{path}: symbolic links are not allowed in a store; copy the file instead"
            )
        if path.is_file():
            files += 1
            total += path.stat().st_size
    if files > MAX_STORE_FILES or total > MAX_STORE_BYTES:
        raise BundleError(
            f"{store_dir}: {files} files, {total} bytes; a store is at most "
            f"{MAX_STORE_FILES} files and {MAX_STORE_BYTES >> 20} MiB of source"
        )
    bundle = Bundle(dest)
    shutil.copytree(
        harness_dir(), bundle.harness, ignore=shutil.ignore_patterns("__pycache__", "tests")
    )
    shutil.copytree(store_dir, bundle.store, ignore=shutil.ignore_patterns(".git", "build"))
    if not bundle.store_sources():
        raise BundleError(
            f"{store_dir}: no C++ sources (.cc, .cpp, .cxx); a store defines "
            "jitskit_create_store() in one of them"
        )
    return bundle
