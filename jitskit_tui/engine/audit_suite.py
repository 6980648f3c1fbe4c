"""The run's audit suite: tests the auditor adds against reward hacks, and running them.

`audit/suite.yaml` lists the tests (see the trajectory FORMAT.md for the test contract):
each is one C++17 program built with the candidate's `store/` sources and run in the
benchmark machine's sandbox after every later evaluation. Its verdict is a gate named
`audit/<id>` with the test's severity: a failing `gate` test stops the iteration from
counting as best; a failing `log` test is reported only.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from pathlib import Path

import yaml
from pydantic import ValidationError

from jitskit_tui.harness.build import check_extra_flags
from jitskit_tui.harness.bundle import SOURCE_SUFFIXES, Bundle, harness_dir
from jitskit_tui.harness.limits import limits_for
from jitskit_tui.protocol.audit import AuditSuite, AuditTest
from jitskit_tui.protocol.results import GateResult
from jitskit_tui.protocol.sandbox_layout import LAYOUT
from jitskit_tui.sandbox.base import BenchMachine, EvalSandbox
from jitskit_tui.spec.model import SpecCard

TEST_TIMEOUT_S = 60.0
BUILD_TIMEOUT_S = 300.0
SUITE_FILE = "suite.yaml"
ROOT = LAYOUT.audit_run


class AuditSuiteError(Exception):
    """`audit/suite.yaml` cannot be read (with the file and what is wrong)."""


def load_suite(audit_dir: Path) -> AuditSuite:
    path = audit_dir / SUITE_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        return AuditSuite()
    try:
        data = yaml.safe_load(text) or {}
        return AuditSuite.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise AuditSuiteError(f"{path}: not a valid audit suite: {exc}") from None


def save_suite(audit_dir: Path, suite: AuditSuite) -> None:
    audit_dir.mkdir(parents=True, exist_ok=True)
    header = "# The run's audit suite: written by the auditor, run after every iteration.\n"
    data = suite.model_dump(mode="json")
    (audit_dir / SUITE_FILE).write_text(header + yaml.safe_dump(data, sort_keys=False))


def _stage(store_dir: Path, audit_dir: Path, suite: AuditSuite, dest: Path) -> None:
    shutil.copytree(harness_dir() / "include", dest / "include")
    shutil.copytree(store_dir, dest / "store", ignore=shutil.ignore_patterns(".git", "build"))
    (dest / "audit").mkdir()
    for test in suite.tests:
        source = audit_dir / test.file
        if source.is_file() and not source.is_symlink():
            shutil.copy2(source, dest / "audit" / f"{test.id}.cc")


async def run_suite(
    spec: SpecCard,
    store_dir: Path,
    audit_dir: Path,
    suite: AuditSuite,
    machine: BenchMachine,
    *,
    run_id: str,
    iteration: int,
) -> list[GateResult]:
    """Builds and runs every test of ``suite`` against the store; one gate per test."""
    if not suite.tests:
        return []
    limits, _, _ = limits_for(spec, machine, await machine.facts())
    with tempfile.TemporaryDirectory(prefix="jitskit-audit-") as tmp:
        staged = Path(tmp) / "audit-run"
        _stage(store_dir, audit_dir, suite, staged)
        sandbox = await machine.open(
            run_id=run_id,
            iteration=iteration,
            limits=limits,
            data_volume=spec.requirement.durability != "none",
        )
        async with sandbox:
            await sandbox.upload(staged, ROOT)
            built = await _build_store(sandbox, spec, Bundle(staged))
            if isinstance(built, str):
                return [
                    GateResult(
                        name=f"audit/{t.id}", passed=False, detail=built, severity=t.severity
                    )
                    for t in suite.tests
                ]
            results = []
            for test in suite.tests:
                present = (staged / "audit" / f"{test.id}.cc").is_file()
                if not present:
                    results.append(
                        GateResult(
                            name=f"audit/{test.id}",
                            passed=False,
                            detail=f"audit/{test.file} is missing; the suite lists it",
                            severity=test.severity,
                        )
                    )
                    continue
                results.append(await _run_test(sandbox, spec, test, built))
            return results


async def _build_store(sandbox: EvalSandbox, spec: SpecCard, bundle: Bundle) -> list[str] | str:
    """Compiles the store's sources; their object paths, or why it failed."""
    flags = [*spec.environment.compiler.flags, *bundle.extra_flags()]
    refused = check_extra_flags(spec, bundle.extra_flags())
    if refused:
        return refused
    cxx = spec.environment.compiler.cxx
    await sandbox.run(["mkdir", "-p", f"{ROOT}/build"], timeout_s=30, access="build")
    objects = []
    sources = sorted(
        p.relative_to(bundle.store).as_posix()
        for p in bundle.store.rglob("*")
        if p.suffix in SOURCE_SUFFIXES and p.is_file()
    )
    for index, source in enumerate(sources):
        obj = f"{ROOT}/build/store{index}.o"
        argv = [cxx, "-std=c++17", "-pthread", *flags, f"-I{ROOT}/include"]
        argv += ["-c", f"{ROOT}/store/{source}", "-o", obj]
        result = await sandbox.run(argv, timeout_s=BUILD_TIMEOUT_S, cwd=ROOT, access="build")
        if not result.ok:
            return (
                f"the store does not compile for the audit tests (store/{source}): "
                + (result.stderr.strip().splitlines() or ["no output"])[0]
            )
        objects.append(obj)
    return objects


async def _run_test(
    sandbox: EvalSandbox, spec: SpecCard, test: AuditTest, objects: list[str]
) -> GateResult:
    name = f"audit/{test.id}"
    cxx = spec.environment.compiler.cxx
    binary = f"{ROOT}/build/audit-{test.id}"
    libs = [f"-l{lib}" for lib in spec.environment.libraries]
    argv = [cxx, "-std=c++17", "-pthread", *spec.environment.compiler.flags, f"-I{ROOT}/include"]
    argv += [f"{ROOT}/audit/{test.id}.cc", *objects, "-o", binary, *libs]
    built = await sandbox.run(argv, timeout_s=BUILD_TIMEOUT_S, cwd=ROOT, access="build")
    if not built.ok:
        first = (built.stderr.strip().splitlines() or ["no output"])[:3]
        return GateResult(
            name=name,
            passed=False,
            detail=f"{test.invariant} — the test does not build: {' / '.join(first)}",
            severity=test.severity,
            seconds=built.wall_s,
        )
    durability = spec.requirement.durability
    data_dir = "" if durability == "none" else LAYOUT.audit_data(test.id)
    if data_dir:
        await sandbox.run(["sh", "-c", f"rm -rf {shlex.quote(data_dir)}"], timeout_s=30)
        await sandbox.run(["mkdir", "-p", data_dir], timeout_s=30)
    run = await sandbox.run(
        [
            binary,
            str(spec.workload.value_size),
            str(spec.workload.threads),
            str(spec.environment.store_memory_budget),
            data_dir,
            durability,
        ],
        timeout_s=TEST_TIMEOUT_S,
        cwd=ROOT,
    )
    said = (run.stderr.strip().splitlines() or [""])[-1][:300]
    if run.ok:
        return GateResult(
            name=name,
            passed=True,
            detail=test.invariant,
            severity=test.severity,
            seconds=run.wall_s,
        )
    if run.timed_out:
        why = f"did not finish within {TEST_TIMEOUT_S:.0f}s"
    elif run.signal is not None:
        why = f"crashed with signal {run.signal}"
    elif run.exit_code == 1:
        why = said or "the invariant does not hold"
    else:
        why = f"exited with status {run.exit_code}" + (f": {said}" if said else "")
    return GateResult(
        name=name,
        passed=False,
        detail=f"{test.invariant} — {why}",
        severity=test.severity,
        seconds=run.wall_s,
    )
