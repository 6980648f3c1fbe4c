"""Creating a new run's workspace: the frozen spec, the empty folders, the first commit."""

from __future__ import annotations

import shutil
from pathlib import Path

from jitskit_tui.engine import gitrepo, whiteboard
from jitskit_tui.engine.audit_suite import save_suite
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, new_workspace_dir
from jitskit_tui.protocol.audit import AuditSuite
from jitskit_tui.spec import SpecCard

STORE_README = """\
# store/

The candidate key-value store: C++17 sources (`*.cc`) implementing the store contract in
`jitskit/kvstore.h` and defining `extern "C" jitskit::KVStore* jitskit_create_store();`.
Optional `BUILD_FLAGS`: extra compiler flags, one per line, from the spec's allowed list.
Only the coder writes here.
"""


def create_workspace(
    spec: SpecCard, spec_path: Path, workspace: Path | None = None, base: Path | None = None
) -> Workspace:
    """Makes and commits a new run's workspace (``workspace`` must not exist or be empty)."""
    if workspace is not None:
        if workspace.exists() and (not workspace.is_dir() or any(workspace.iterdir())):
            raise WorkspaceError(
                f"{workspace}: already exists and is not empty; give a new folder for "
                "--workspace, or resume that run with `jitskit resume`"
            )
        workspace.mkdir(parents=True, exist_ok=True)
        root = workspace
    else:
        root = new_workspace_dir(spec.name, base)
    ws = Workspace(root)
    shutil.copyfile(spec_path, ws.spec_file)
    ws.store.mkdir()
    (ws.store / "README.md").write_text(STORE_README)
    save_suite(ws.audit, AuditSuite())
    ws.results.mkdir()
    (ws.results / ".keep").write_text("")
    ws.whiteboard.write_text(whiteboard.initial(spec.name))
    for folder in (ws.state, ws.control, ws.logs):
        folder.mkdir(parents=True, exist_ok=True)
    gitrepo.init_repo(ws)
    ws.events.touch()
    return ws
