"""`jitskit-trace`: the harness's trace generator on its own, for inspecting traces.

It contains no store and runs only the project's own code, so it is built with the
host's compiler into the cache and run directly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from jitskit_tui.harness import config as harness_config
from jitskit_tui.harness.build import read_sources
from jitskit_tui.harness.bundle import digest_of, harness_digests, harness_dir
from jitskit_tui.sandbox.base import MachineError
from jitskit_tui.spec.model import SpecCard


def trace_binary() -> Path:
    """Builds (once per harness version) and returns the trace tool."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jitskit"
    binary = base / "trace" / digest_of(harness_digests())[:24] / "jitskit-trace"
    if binary.is_file():
        return binary
    root = harness_dir()
    sources = read_sources(root)
    binary.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=binary.parent))
    argv = [
        "g++",
        *sources.flags,
        *[f"-I{root / d}" for d in sources.include],
        *[str(root / s) for s in sources.trace],
        *sources.link_flags,
        "-o",
        str(tmp / "t"),
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise MachineError("local", f"the trace tool did not build: {done.stderr[-2000:]}")
        os.replace(tmp / "t", binary)
    except FileNotFoundError:
        raise MachineError("local", "no C++ compiler (g++)", "apt-get install g++") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return binary


async def print_trace(spec: SpecCard, ops: int, size: harness_config.Size = "quick") -> int:
    """Streams the first ``ops`` run-phase operations to stdout; returns the exit status."""
    binary = await asyncio.to_thread(trace_binary)
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
        conf.write(harness_config.render(harness_config.harness_config(spec, size)))
    try:
        proc = await asyncio.create_subprocess_exec(
            str(binary), "--config", conf.name, "--ops", str(ops)
        )
        return await proc.wait()
    finally:
        os.unlink(conf.name)
