"""Reading a YAML spec card while keeping where every key stands in the file.

PyYAML's composer gives each node a start mark (line, column). The card is composed
once, checked for what YAML itself allows but a card must not have (duplicate keys,
alias bombs), and constructed into plain data; the node tree stays alongside so that a
validation error's path (``workload.distribution.constant``) maps back to the exact key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

MAX_CARD_BYTES = 1 << 20
_MAX_EXPANDED_NODES = 100_000

PathElem = str | int


@dataclass(frozen=True, order=True)
class SpecIssue:
    """One problem in a spec card, at a 1-based line and column."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class SpecError(Exception):
    """A spec card that cannot be used; ``issues`` says every place that is wrong."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


@dataclass
class YamlCard:
    """A parsed card: its data and the node tree it came from."""

    file: str
    data: object
    root: yaml.Node

    def issue_at(self, path: tuple[PathElem, ...], message: str) -> SpecIssue:
        line, column = self.locate(path)
        return SpecIssue(self.file, line, column, message)

    def locate(self, path: tuple[PathElem, ...]) -> tuple[int, int]:
        """Where ``path`` points: the key itself when present, otherwise the key of the
        mapping that should hold it. Path elements with no node (such as the tag of a
        discriminated union in a pydantic error location) are passed over."""
        node: yaml.Node = self.root
        anchor: yaml.Node = self.root
        for element in path:
            child = _child(node, element)
            if child is None:
                continue
            anchor, node = child
        mark = anchor.start_mark
        return mark.line + 1, mark.column + 1


def _child(node: yaml.Node, element: PathElem) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key-or-item node, value node) for one step of a path, if it exists."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(element):
                return key, value
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(element, int)
        and 0 <= element < len(node.value)
    ):
        item = node.value[element]
        return item, item
    return None


def _structure_issues(file: str, root: yaml.Node) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    sizes: dict[int, int] = {}

    def expanded(node: yaml.Node, depth: int) -> int:
        # Aliases share nodes; count what validation would walk, to stop alias bombs.
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > 200:
            raise RecursionError
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        first = seen[key.value].start_mark.line + 1
                        mark = key.start_mark
                        issues.append(
                            SpecIssue(
                                file,
                                mark.line + 1,
                                mark.column + 1,
                                f"duplicate key '{key.value}' (first at line {first}); "
                                "keep one of them",
                            )
                        )
                    else:
                        seen[key.value] = key
                total += expanded(key, depth + 1) + expanded(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(expanded(item, depth + 1) for item in node.value)
        sizes[id(node)] = total
        return total

    try:
        if expanded(root, 0) > _MAX_EXPANDED_NODES:
            issues.append(
                SpecIssue(file, 1, 1, "the card expands to too many values through aliases")
            )
    except RecursionError:
        issues.append(SpecIssue(file, 1, 1, "the card is nested too deeply to be a spec card"))
    return issues


def read_card(path: Path) -> YamlCard:
    """Reads and parses a card file; raises :class:`SpecError` naming file, line and column."""
    file = str(path)
    try:
        if path.is_dir():
            raise SpecError([SpecIssue(file, 1, 1, "is a directory; give a .yaml spec card")])
        size = path.stat().st_size
        if size > MAX_CARD_BYTES:
            raise SpecError(
                [SpecIssue(file, 1, 1, f"is {size} bytes; a spec card is at most 1 MiB")]
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([SpecIssue(file, 1, 1, "no such file")]) from None
    except PermissionError:
        raise SpecError([SpecIssue(file, 1, 1, "cannot be read: permission denied")]) from None
    except OSError as exc:
        raise SpecError([SpecIssue(file, 1, 1, f"cannot be read: {exc.strerror}")]) from None
    return parse_card(raw, file)


def parse_card(raw: bytes | str, file: str) -> YamlCard:
    """Parses card text (as from an editor buffer) the same way :func:`read_card` does."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise SpecError([SpecIssue(file, line, column, "binary content: a spec card is text")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise SpecError(
            [SpecIssue(file, line, column, "not UTF-8 text; save the card as UTF-8")]
        ) from None

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise SpecError(
                [SpecIssue(file, 1, 1, "empty card: it needs requirement, environment, workload")]
            )
        issues = _structure_issues(file, root)
        if issues:
            raise SpecError(issues)
        value = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "unreadable YAML"
        raise SpecError([SpecIssue(file, line, column, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(file, 1, 1, f"YAML error: {exc}")]) from None
    except RecursionError:
        raise SpecError([SpecIssue(file, 1, 1, "the card is nested too deeply")]) from None
    finally:
        loader.dispose()

    if not isinstance(root, yaml.MappingNode) or not isinstance(value, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
            type(value), "a single value"
        )
        mark = root.start_mark
        raise SpecError(
            [
                SpecIssue(
                    file,
                    mark.line + 1,
                    mark.column + 1,
                    f"expected a mapping with requirement, environment and workload at the "
                    f"top level, found {kind}",
                )
            ]
        )
    return YamlCard(file=file, data=value, root=root)
