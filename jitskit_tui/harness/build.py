"""Compiling an evaluation's harness and store inside its sandbox.

The harness is compiled with the harness's own fixed flags; the candidate's sources
are compiled separately with the spec's compiler, the spec's flags and only those extra
flags the spec allows; the link line is the harness's. Nothing the candidate writes can
change how the harness is built or which libraries are linked.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.harness.bundle import Bundle
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import EvalSandbox, RunResult
from jitskit_tui.spec.model import SpecCard

HARNESS_FLAGS = ("-std=c++17", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-pthread")
HARNESS_OBJECTS = f"{LAYOUT.build}/harness"
STORE_OBJECTS = f"{LAYOUT.build}/store"
BINARY = f"{LAYOUT.build}/jitskit-harness"
BUILD_TIMEOUT_S = 300.0
SEALED_NAME = "harness-sealed.o"
KEEP_CACHED_HARNESSES = 6
PRUNE_IDLE_S = 3600.0
"""An entry used within this long is never pruned, however many there are."""
SEALED = f"{HARNESS_OBJECTS}/{SEALED_NAME}"
DURABILITY_SUPERVISOR = f"{HARNESS_OBJECTS}/jitskit-durability"
"""The durability gate's supervisor: harness sources only, no store; cached with the
sealed harness object."""


@dataclass(frozen=True)
class Sources:
    """How the harness is built, from its ``sources.txt``."""

    harness: tuple[str, ...]
    trace: tuple[str, ...]
    durability: tuple[str, ...]
    flags: tuple[str, ...]
    link_flags: tuple[str, ...]
    include: tuple[str, ...]


def read_sources(harness_root: Path) -> Sources:
    """Parses ``sources.txt``: ``[section]`` lines, then one entry per line."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in (harness_root / "sources.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is not None:
            current.append(line)

    def words(name: str) -> tuple[str, ...]:
        return tuple(word for line in sections.get(name, ()) for word in line.split())

    return Sources(
        harness=tuple(sections.get("jitskit-harness", ())),
        trace=tuple(sections.get("jitskit-trace", ())),
        durability=tuple(sections.get("jitskit-durability", ())),
        flags=words("harness-flags") or HARNESS_FLAGS,
        link_flags=words("link-flags") or ("-pthread",),
        include=tuple(sections.get("include", ("include",))),
    )


@dataclass
class BuildOutcome:
    ok: bool
    detail: str = ""
    log: str = ""
    steps: list[RunResult] = field(default_factory=list)


def _object_name(source: str, prefix: str) -> str:
    return f"{prefix}/" + source.replace("/", "__").rsplit(".", 1)[0] + ".o"


def _failure_excerpt(result: RunResult, lines: int = 30) -> str:
    text = (result.stderr or result.stdout).strip().splitlines()
    errors = [line for line in text if "error" in line or "undefined reference" in line] or text
    return "\n".join(errors[:lines])


def check_extra_flags(spec: SpecCard, requested: list[str]) -> str | None:
    """Why the candidate's BUILD_FLAGS are refused, or ``None`` when every flag is allowed."""
    allowed = set(spec.environment.compiler.allowed_extra_flags)
    refused = [flag for flag in requested if flag not in allowed]
    if not refused:
        return None
    allowed_text = ", ".join(sorted(allowed)) or "none"
    return (
        f"store/BUILD_FLAGS asks for {', '.join(refused)}, which the spec does not allow "
        f"(allowed extra flags: {allowed_text})"
    )


async def build(
    sandbox: EvalSandbox,
    bundle: Bundle,
    spec: SpecCard,
    *,
    store_flags: tuple[str, ...] | None = None,
    link_libraries: tuple[str, ...] = (),
    object_cache: Path | None = None,
) -> BuildOutcome:
    """Compiles and links ``jitskit-harness`` (and optionally ``jitskit-trace``).

    ``store_flags`` replaces the spec's flags (baseline adapters are built with fixed
    flags); ``link_libraries`` adds libraries a baseline needs. ``object_cache`` is a host
    directory keeping the harness's objects for this machine and compiler between
    evaluations; it is filled before any candidate source is compiled.
    """
    sources = read_sources(bundle.harness)
    log: list[str] = []
    outcome = BuildOutcome(ok=False)
    cxx = spec.environment.compiler.cxx

    async def step(argv: list[str], what: str) -> RunResult | None:
        log.append("$ " + shlex.join(argv))
        result = await sandbox.run(argv, timeout_s=BUILD_TIMEOUT_S, cwd=LAYOUT.work, access="build")
        outcome.steps.append(result)
        log.append((result.stdout + result.stderr).rstrip())
        if result.ok:
            return result
        outcome.detail = (
            f"{what} timed out after {BUILD_TIMEOUT_S:.0f}s"
            if result.timed_out
            else f"{what} failed:\n{_failure_excerpt(result)}"
        )
        return None

    mkdir = ["mkdir", "-p", HARNESS_OBJECTS, STORE_OBJECTS]
    if await step(mkdir, "preparing the build directory") is None:
        return _finish(outcome, log)

    include = f"-I{LAYOUT.harness}/include"
    harness_includes = [f"-I{LAYOUT.harness}/{d}" for d in sources.include]
    harness_objects = [_object_name(source, HARNESS_OBJECTS) for source in sources.harness]
    if object_cache is not None and (object_cache / SEALED_NAME).is_file():
        # The harness is the same for every evaluation on a machine: reuse its object.
        with contextlib.suppress(OSError):
            os.utime(object_cache)  # used now: pruning keeps it
        await sandbox.upload(object_cache, HARNESS_OBJECTS)
        log.append(f"(harness object reused from {object_cache})")
    else:
        objects = dict(zip(sources.harness, harness_objects, strict=True))
        for source in sources.durability:
            objects.setdefault(source, _object_name(source, HARNESS_OBJECTS))
        for source, obj in objects.items():
            source_path = f"{LAYOUT.harness}/{source}"
            argv = [cxx, *sources.flags, *harness_includes, "-c", source_path, "-o", obj]
            if await step(argv, f"compiling the harness ({source})") is None:
                return _finish(outcome, log)
        supervisor = [objects[source] for source in sources.durability]
        link_supervisor = [cxx, *sources.link_flags, *supervisor, "-o", DURABILITY_SUPERVISOR]
        if await step(link_supervisor, "linking the durability supervisor") is None:
            return _finish(outcome, log)
        # One relocatable object whose own symbols are local: the store can neither call
        # into the harness nor read its state (the secret, the counters, the clock).
        combined = f"{HARNESS_OBJECTS}/combined.o"
        if (
            await step(["ld", "-r", "-o", combined, *harness_objects], "sealing the harness")
            is None
        ):
            return _finish(outcome, log)
        localize = (
            f'nm -P --defined-only {combined} | awk \'$2 ~ /^[TDBRG]$/ && $1 != "main" '
            f"{{print $1}}' > {HARNESS_OBJECTS}/localize.txt && objcopy "
            f"--localize-symbols={HARNESS_OBJECTS}/localize.txt {combined} {SEALED} && "
            f"rm {combined} {' '.join(objects.values())}"
        )
        if await step(["sh", "-c", localize], "sealing the harness") is None:
            return _finish(outcome, log)
        if object_cache is not None:
            await _fill_cache(sandbox, object_cache)
    harness_objects = [SEALED]
    # The store is compiled against the contract header alone: the harness's sources
    # (its integrity code, its secret handling) are not there to include.
    hidden = " ".join(f"{LAYOUT.harness}/{name}" for name in ("src", "tools", "sources.txt"))
    hide = ["sh", "-c", f"rm -rf {hidden}"]
    if await step(hide, "preparing the store build") is None:
        return _finish(outcome, log)

    flags = (
        list(store_flags)
        if store_flags is not None
        else [
            *spec.environment.compiler.flags,
            *bundle.extra_flags(),
        ]
    )
    if store_flags is None:
        refused = check_extra_flags(spec, bundle.extra_flags())
        if refused:
            outcome.detail = refused
            return _finish(outcome, log)
    store_objects: list[str] = []
    for source in bundle.store_sources():
        obj = _object_name(source, STORE_OBJECTS)
        store_objects.append(obj)
        argv = [
            cxx,
            "-std=c++17",
            "-pthread",
            *flags,
            include,
            "-c",
            f"{LAYOUT.store}/{source}",
            "-o",
            obj,
        ]
        if await step(argv, f"compiling the store (store/{source})") is None:
            return _finish(outcome, log)

    libs = [f"-l{lib}" for lib in (*spec.environment.libraries, *link_libraries)]
    link = [cxx, *sources.link_flags, *harness_objects, *store_objects, "-o", BINARY, *libs]
    if await step(link, "linking the store against the harness") is None:
        if "undefined reference to `jitskit_create_store'" in log[-1]:
            outcome.detail += (
                '\nThe store must define extern "C" jitskit::KVStore* jitskit_create_store();'
            )
        return _finish(outcome, log)

    outcome.ok = True
    return _finish(outcome, log)


async def _fill_cache(sandbox: EvalSandbox, cache: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".fill-", dir=cache.parent))
    try:
        await sandbox.download(HARNESS_OBJECTS, staging)
        with contextlib.suppress(OSError):
            (staging / "harness").rename(cache)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def harness_cache_dir(machine_key: str, cxx: str, harness_digest: str) -> Path:
    """Where the harness objects for one machine, compiler and harness version are kept."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jitskit"
    key = hashlib.sha256(f"{machine_key}|{cxx}|{harness_digest}".encode()).hexdigest()[:24]
    path = base / "harness-objects" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    _prune(path.parent, keep=KEEP_CACHED_HARNESSES)
    return path


def _prune(directory: Path, keep: int, idle_s: float = PRUNE_IDLE_S) -> None:
    """Removes all but the ``keep`` most recently used entries (harness upgrades pile up),
    and of those only entries nobody used for ``idle_s``: another process (a baseline
    run, a second app) may be about to upload one it has just found."""
    now = time.time()
    with contextlib.suppress(OSError):
        entries = sorted(
            (p for p in directory.iterdir() if not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for stale in entries[keep:]:
            with contextlib.suppress(OSError):
                if now - stale.stat().st_mtime < idle_s:
                    continue
            shutil.rmtree(stale, ignore_errors=True)


def _finish(outcome: BuildOutcome, log: list[str]) -> BuildOutcome:
    outcome.log = "\n".join(part for part in log if part)
    return outcome
