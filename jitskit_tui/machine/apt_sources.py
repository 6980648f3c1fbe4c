"""The Debian mirror this machine already uses, read from its apt configuration.

debootstrap needs a mirror; the project never names one. This reads the one-line
format (``/etc/apt/sources.list``, ``*.list``) and the deb822 format (``*.sources``:
``Types:``, ``URIs:``, ``Suites:``), and picks a ``deb`` source of the main archive: a
suite without a ``-security``/``-updates``/``-backports`` suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_POCKET = re.compile(r"-(security|updates|backports|proposed-updates)$|/updates$")


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    origin: str
    """File the entry came from (for messages)."""

    @property
    def main_archive(self) -> bool:
        return any(not _POCKET.search(suite) for suite in self.suites)


def _one_line_entries(path: Path, text: str) -> list[AptSource]:
    entries: list[AptSource] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        # Drop an options block: deb [arch=amd64 signed-by=...] URI suite components
        line = re.sub(r"^deb\s+\[[^\]]*\]", "deb", line)
        fields = line.split()
        if len(fields) < 3:
            continue
        entries.append(AptSource(fields[1], (fields[2],), tuple(fields[3:]), str(path)))
    return entries


def _deb822_entries(path: Path, text: str) -> list[AptSource]:
    entries: list[AptSource] = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for raw in stanza.splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw[0] in " \t" and key:
                fields[key] += " " + raw.strip()
                continue
            if ":" in raw:
                key, _, value = raw.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in fields.get("types", "").split():
            continue
        suites = tuple(fields.get("suites", "").split())
        components = tuple(fields.get("components", "").split())
        for uri in fields.get("uris", "").split():
            entries.append(AptSource(uri, suites, components, str(path)))
    return entries


def apt_sources(root: Path = Path("/")) -> list[AptSource]:
    """Every ``deb`` entry in the apt configuration under ``root``, in apt's order."""
    etc = root / "etc" / "apt"
    files = [etc / "sources.list"]
    parts = etc / "sources.list.d"
    if parts.is_dir():
        files += sorted(p for p in parts.iterdir() if p.suffix in (".list", ".sources"))
    entries: list[AptSource] = []
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":
            entries += _deb822_entries(path, text)
        else:
            entries += _one_line_entries(path, text)
    return entries


_DEBIAN_SUITES = frozenset(
    {"buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid",
     "oldoldstable", "oldstable", "stable", "testing", "unstable"}
)  # fmt: skip


def debian_mirror(suite: str, root: Path = Path("/")) -> AptSource | None:
    """The Debian archive to fetch ``suite`` from: a source carrying that very suite,
    otherwise one carrying another Debian suite (a mirror has them all)."""
    candidates = [
        entry
        for entry in apt_sources(root)
        if entry.uri.startswith(("http://", "https://", "file:/"))
        and entry.main_archive
        and (not entry.components or "main" in entry.components)
    ]
    for entry in candidates:
        if suite in entry.suites:
            return entry
    for entry in candidates:
        if _DEBIAN_SUITES.intersection(entry.suites):
            return entry
    return None
