"""The integrity gate: the harness is the packaged one and no store symbol shadows it."""

from __future__ import annotations

from jitskit_tui.harness.build import BINARY, SEALED, STORE_OBJECTS
from jitskit_tui.harness.eval_run import EvalRun
from jitskit_tui.harness.symbols import describe, find_shadowing, parse_nm_posix
from jitskit_tui.protocol.results import GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT


async def changed_harness_files(run: EvalRun) -> list[str]:
    """Harness files in the sandbox whose digest differs from the packaged harness's."""
    listing = await run.sh(
        f"cd {LAYOUT.harness} && find . -type f -exec sha256sum {{}} + | sort -k2"
    )
    seen = {}
    for line in listing.splitlines():
        digest, _, name = line.partition("  ")
        seen[name.removeprefix("./")] = digest
    pristine = run.pristine
    return sorted(n for n in pristine.keys() | seen.keys() if pristine.get(n) != seen.get(n))


async def integrity_gate(run: EvalRun) -> GateResult:
    """Fails on a changed harness file or a store symbol that shadows the harness or libc."""
    pristine = run.pristine
    if run.harness_changed:
        shown = ", ".join(run.harness_changed[:5])
        return GateResult(
            name="integrity",
            passed=False,
            detail=f"harness files differ from the packaged harness: {shown}. The harness is "
            "not the agent's to change; restore it",
        )
    store_syms = parse_nm_posix(await run.sh(f"nm -P --defined-only {STORE_OBJECTS}/*.o"))
    harness_syms = parse_nm_posix(await run.sh(f"nm -P --defined-only {SEALED}"))
    libraries: dict[str, dict[str, str]] = {}
    ldd = await run.sh(f"ldd {BINARY}")
    for line in ldd.splitlines():
        if "=>" in line and "/" in line.split("=>", 1)[1]:
            path = line.split("=>", 1)[1].strip().split(" ")[0]
            name = path.rsplit("/", 1)[-1].split(".so", 1)[0]
            if name in {"libc", "libstdc++", "libm", "libgcc_s"}:
                libraries[name] = parse_nm_posix(await run.sh(f"nm -D -P --defined-only {path}"))
    found = find_shadowing(store_syms, harness_syms, libraries)
    if found:
        return GateResult(name="integrity", passed=False, detail=describe(found))
    return GateResult(
        name="integrity",
        passed=True,
        detail=f"harness unchanged ({len(pristine)} files); no shadowed symbols",
    )
