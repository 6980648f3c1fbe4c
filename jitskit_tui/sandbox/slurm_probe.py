"""What a Slurm node needs to evaluate a store, checked on a node of the partition.

The check runs as a small job when jitskit connects: one step lists what the node lacks
(the tools the benchmark image holds, the baseline libraries' headers, Python for the
node runner) and whether it sees and can write the staging folder; then a no-op in the
bubblewrap jail proves the sandbox starts there. Everything missing is reported at once,
with the Debian packages that provide it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.sandbox.base import MachineError

NODE_TOOLS = (
    ("g++", "g++"),
    ("make", "make"),
    ("python3", "python3"),
    ("bwrap", "bubblewrap"),
    ("strace", "strace"),
)
"""Commands on the node, and the Debian package of each."""
NODE_HEADERS = (
    ("rocksdb/db.h", "librocksdb-dev"),
    ("leveldb/db.h", "libleveldb-dev"),
    ("lmdb.h", "liblmdb-dev"),
    ("tbb/concurrent_hash_map.h", "libtbb-dev"),
)
"""The baselines' headers, and the Debian package of each."""
WROTE = "node-wrote"


def probe_script() -> str:
    """A POSIX shell script, run on the node with the staging folder as ``$1``, printing
    ``missing WHAT PACKAGE``, ``stage PROBLEM`` and ``fact NAME VALUE`` lines."""
    tools = " ".join(f"{cmd}:{pkg}" for cmd, pkg in NODE_TOOLS)
    headers = " ".join(f"{h}:{pkg}" for h, pkg in NODE_HEADERS)
    return f"""\
stage="$1"
for item in {tools}; do
  command -v "${{item%%:*}}" >/dev/null 2>&1 || echo "missing ${{item%%:*}} ${{item##*:}}"
done
if command -v g++ >/dev/null 2>&1; then
  echo "fact compiler $(g++ --version | head -n 1)"
  for item in {headers}; do
    printf '#include <%s>\\n' "${{item%%:*}}" | g++ -std=c++17 -x c++ -E - >/dev/null 2>&1 \\
      || echo "missing ${{item%%:*}} ${{item##*:}}"
  done
fi
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' \
    || echo "missing python3>=3.8 python3"
fi
test -r "$stage/runner/jitskit_tui/sandbox/slurm_node.py" || echo "stage unseen"
touch "$stage/status/{WROTE}" 2>/dev/null || echo "stage unwritable"
echo "fact cpu $(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "fact cpus $(nproc --all)"
echo "fact memory_kib $(awk '/^MemTotal:/ {{print $2}}' /proc/meminfo)"
echo "fact kernel $(uname -r)"
"""


@dataclass
class NodeReport:
    """What the probe found on one node."""

    node: str
    missing: list[tuple[str, str]] = field(default_factory=list)
    """(what, Debian package)."""
    stage_problems: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, node: str, output: str, stage: Path) -> NodeReport:
        report = cls(node)
        for line in output.splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "missing":
                what, _, package = rest.partition(" ")
                report.missing.append((what, package))
            elif kind == "stage":
                report.stage_problems.append(
                    f"the staging folder {stage} "
                    + (
                        "is not visible on the node"
                        if rest == "unseen"
                        else "is not writable there"
                    )
                )
            elif kind == "fact":
                name, _, value = rest.partition(" ")
                report.facts[name] = value.strip()
        if not report.stage_problems and not (stage / "status" / WROTE).exists():
            report.stage_problems.append(
                f"what the node wrote in the staging folder {stage} does not appear here"
            )
        return report

    def error(self, label: str, partition: str) -> MachineError | None:
        """One error listing everything missing, or ``None`` when nothing is."""
        problems = [f"{what} (package {package})" for what, package in self.missing]
        problems += self.stage_problems
        if not problems:
            return None
        packages = sorted({package for _, package in self.missing})
        hints = []
        if packages:
            hints.append(
                f"install on the nodes of {partition}: apt-get install {' '.join(packages)} "
                "(or choose a partition whose nodes have them)"
            )
        if self.stage_problems:
            hints.append(
                "set a folder both this host and the nodes share, at the same path: "
                "JITSKIT_SLURM_STAGING, or `staging` under [slurm] in ~/.config/jitskit/config.toml"
            )
        return MachineError(
            label,
            f"node {self.node} of partition {partition} cannot evaluate: missing "
            + "; ".join(problems),
            "; ".join(hints),
        )
