"""Only the TUI imports Textual: the engine and the CLI stay usable without a terminal UI."""

from __future__ import annotations

import ast
from pathlib import Path

from support import REPO

PACKAGE = REPO / "jitskit_tui"
UI_ONLY = {"textual", "textual_plotext", "plotext"}


def _top_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_outside_the_tui_imports_textual() -> None:
    tui = PACKAGE / "tui"
    offenders = sorted(
        f"{path.relative_to(REPO)} imports {', '.join(sorted(found))}"
        for path in PACKAGE.rglob("*.py")
        if tui not in path.parents and (found := _top_level_imports(path) & UI_ONLY)
    )
    assert offenders == []


def test_the_tui_command_imports_the_app_only_when_run() -> None:
    tree = ast.parse((PACKAGE / "cli" / "tui_cmd.py").read_text())
    module_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not any(
        isinstance(n, ast.ImportFrom) and (n.module or "").startswith("jitskit_tui.tui")
        for n in module_level
    )
