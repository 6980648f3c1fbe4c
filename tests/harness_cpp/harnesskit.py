"""Building the C++ harness as the engine does (from ``sources.txt``, with g++) and
running its binaries, for the tests in this directory."""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "jitskit_tui" / "harness" / "cpp"
STORES = ROOT / "jitskit_tui" / "harness" / "stores"
HACK_STORES = ROOT / "tests" / "stores"
UNIT_DIR = Path(__file__).resolve().parent
STORE_FLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{HARNESS / 'include'}"]


def read_sources() -> dict[str, list[str]]:
    """``sources.txt`` as {section: entries}."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in (HARNESS / "sources.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        else:
            sections[current].extend(line.split() if "flags" in current else [line])
    return sections


def compile_object(source: Path, flags: list[str], out: Path) -> Path:
    result = subprocess.run(
        ["g++", *flags, "-c", str(source), "-o", str(out)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"compiling {source} failed:\n{result.stderr}"
    return out


def link(objects: list[Path], flags: list[str], out: Path) -> Path:
    result = subprocess.run(
        ["g++", *[str(o) for o in objects], *flags, "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"linking {out.name} failed:\n{result.stderr}"
    return out


@dataclass(frozen=True)
class Built:
    harness: Path
    trace: Path
    durability: Path
    """The durability supervisor: harness sources only, no store."""
    unit: Path
    library: tuple[Path, ...]
    """Harness objects with ``main``, to link with another store."""
    link_flags: tuple[str, ...]

    def harness_with(self, store_source: Path, out: Path) -> Path:
        store = compile_object(store_source, STORE_FLAGS, out.with_suffix(".o"))
        return link([*self.library, store], list(self.link_flags), out)


def build_all(out: Path) -> Built:
    """Harness + reference store, trace tool, durability supervisor and unit tests, each
    file compiled once into ``out``."""
    sources = read_sources()
    includes = [f"-I{HARNESS / d}" for d in sources["include"]]
    flags = sources["harness-flags"] + includes
    every = sources["jitskit-harness"] + sources["jitskit-trace"] + sources["jitskit-durability"]
    names = list(dict.fromkeys(every))
    units = sorted(UNIT_DIR.glob("*.cc"))
    # g++ runs one file per process: compile on every CPU at once (about half the time
    # on two cores), then link.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        compiled = [
            pool.submit(compile_object, HARNESS / n, flags, out / (n.replace("/", "_") + ".o"))
            for n in names
        ]
        reference = pool.submit(
            compile_object, STORES / "reference" / "store.cc", STORE_FLAGS, out / "reference.o"
        )
        unit_compiled = [
            pool.submit(compile_object, src, [*flags, f"-I{UNIT_DIR}"], out / f"unit_{src.stem}.o")
            for src in units
        ]
        objects = dict(zip(names, (c.result() for c in compiled), strict=True))
        store = reference.result()
        unit_objects = [c.result() for c in unit_compiled]
    link_flags = sources["link-flags"]
    harness = link(
        [objects[n] for n in sources["jitskit-harness"]] + [store],
        link_flags,
        out / "jitskit-harness",
    )
    trace = link([objects[n] for n in sources["jitskit-trace"]], link_flags, out / "jitskit-trace")
    durability = link(
        [objects[n] for n in sources["jitskit-durability"]], link_flags, out / "jitskit-durability"
    )
    library = [
        objects[n]
        for n in dict.fromkeys(sources["jitskit-harness"] + sources["jitskit-durability"])
        if n.startswith("src/") and n != "src/main.cc"
    ]
    unit = link([*unit_objects, *library, store], link_flags, out / "unit-tests")
    return Built(
        harness=harness,
        trace=trace,
        durability=durability,
        unit=unit,
        library=tuple(objects[n] for n in sources["jitskit-harness"]),
        link_flags=tuple(link_flags),
    )


# A map under one mutex, nothing persisted; the hooks make it a test's odd store.
_HOOKED_STORE = r"""
#include <fcntl.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include "jitskit/kvstore.h"
using jitskit::Status;
@PREAMBLE@
class Hooked : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& c) override {
    size_ = c.value_size;
    @OPEN@
    return @OPENED@;
  }
  Status Close() override { @CLOSE@ return Status::kOk; }
  Status Read(uint64_t k, char* out) override {
    @CALL@
    std::lock_guard<std::mutex> l(m_);
    auto it = map_.find(k);
    if (it == map_.end()) return Status::kNotFound;
    std::memcpy(out, it->second.data(), size_);
    return Status::kOk;
  }
  Status Upsert(uint64_t k, const char* v) override {
    @CALL@
    std::lock_guard<std::mutex> l(m_);
    uint64_t n = ++writes_;
    (void)n;
    @UPSERT@
    map_[k].assign(v, size_);
    return Status::kOk;
  }
  Status Delete(uint64_t k) override {
    @CALL@
    std::lock_guard<std::mutex> l(m_);
    return map_.erase(k) ? Status::kOk : Status::kNotFound;
  }
  Status ReadModifyWrite(uint64_t, uint64_t, char*) override { return Status::kError; }
 private:
  std::mutex m_;
  std::map<uint64_t, std::string> map_;
  uint32_t size_ = 0;
  std::atomic<uint64_t> writes_{0};
};
extern "C" jitskit::KVStore* jitskit_create_store() { return new Hooked(); }
"""


def hooked_store(
    *,
    upsert: str = "",
    close: str = "",
    preamble: str = "",
    opening: str = "",
    opened: str = "Status::kOk",
    call: str = "",
) -> str:
    """Source of a simple store with code added: ``upsert`` runs under the lock at the
    start of every Upsert (``n`` counts the writes), ``close`` in Close, ``opening`` in Open
    before it returns ``opened``, ``call`` first in every Read, Upsert and Delete (outside
    the lock), ``preamble`` at file scope."""
    return (
        _HOOKED_STORE.replace("@UPSERT@", upsert)
        .replace("@CLOSE@", close)
        .replace("@PREAMBLE@", preamble)
        .replace("@OPENED@", opened)
        .replace("@OPEN@", opening)
        .replace("@CALL@", call)
    )


def write_config(path: Path, **settings: object) -> Path:
    defaults: dict[str, object] = {
        "value_size": 64,
        "threads": 2,
        "record_count": 2000,
        "operation_count": 20000,
        "mix_read": 0.5,
        "mix_update": 0.5,
        "seed": 7,
    }
    defaults.update(settings)
    path.write_text("".join(f"{k}={v}\n" for k, v in defaults.items()))
    return path


def run(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def gate_line(result: subprocess.CompletedProcess[str], name: str) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    gates = [e for e in events(result.stdout) if e["event"] == "gate"]
    assert len(gates) == 1, result.stdout
    assert gates[0]["name"] == name
    return gates[0]
