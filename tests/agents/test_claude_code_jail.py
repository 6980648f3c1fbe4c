"""The Claude Code CLI's second layer of containment, the bubblewrap jail, seen from
inside: a shell started by the same launcher the CLI gets (in place of the CLI) sees
only the role's folders and its private home, cannot write elsewhere on the host, and
gets only the environment variables named for it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from jitskit_tui.agents.claude_code.home import PrivateHome
from jitskit_tui.agents.claude_code.jail import JailView, check_bwrap, write_launcher

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

SHELL = Path(os.path.realpath("/bin/sh"))


def _run(
    workspace: Path, view: JailView, script: str, **env: str
) -> subprocess.CompletedProcess[str]:
    check_bwrap()
    home = PrivateHome(workspace.parent / "private")
    launcher = write_launcher("coder", SHELL, home, view)
    return subprocess.run(
        [str(launcher), "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "run"
    (ws / "store").mkdir(parents=True)
    (ws / "audit").mkdir()
    (ws / "spec.yaml").write_text("name: secret-card\n")
    (ws / "store" / "store.cc").write_text("// the store\n")
    return ws


def test_the_coder_sees_store_and_its_private_home_only(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    store = ws / "store"
    view = JailView(cwd=store, writable=(store,), variables=("HOME",))
    home = tmp_path / "private" / "home"
    done = _run(
        ws,
        view,
        f"cat {store}/store.cc; ls -A {ws}; ls -A {Path.home()} | wc -l; "
        f"cat {ws}/spec.yaml || echo no-spec; echo here > $HOME/note; echo $HOME; pwd",
        HOME=str(home),
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "// the store"
    assert lines[1] == "store"  # the workspace shows store/ alone: no spec, audit/, .git
    assert lines[2] == "0"  # the user's home is an empty directory, if it is there at all
    assert "no-spec" in done.stdout and "secret-card" not in done.stdout
    assert lines[-2] == str(home) and (home / "note").read_text() == "here\n"
    assert lines[-1] == str(store)


def test_writes_land_in_store_and_nowhere_else_on_the_host(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    store = ws / "store"
    view = JailView(cwd=store, writable=(store,))
    done = _run(
        ws,
        view,
        f"echo new > {store}/table.cc; echo evil > {ws}/spec.yaml; "
        f"mkdir -p {ws}/audit && echo evil > {ws}/audit/x.cc; echo evil > /usr/evil; true",
    )
    assert done.returncode == 0, done.stderr
    assert (store / "table.cc").read_text() == "new\n"
    assert (ws / "spec.yaml").read_text() == "name: secret-card\n"
    assert list((ws / "audit").iterdir()) == []
    assert not Path("/usr/evil").exists()


def test_the_auditor_reads_store_and_writes_audit(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    store, audit = ws / "store", ws / "audit"
    view = JailView(cwd=ws, writable=(audit,), readable=(store,))
    done = _run(ws, view, f"echo t > {audit}/t.cc; echo evil >> {store}/store.cc; ls {ws}")
    assert (audit / "t.cc").read_text() == "t\n"
    assert (store / "store.cc").read_text() == "// the store\n"
    assert "Read-only file system" in done.stderr
    assert done.stdout.split() == ["audit", "store"]


def test_the_cli_gets_only_the_variables_named_for_it(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    view = JailView(cwd=ws / "store", writable=(ws / "store",), variables=("ANTHROPIC_API_KEY",))
    done = _run(
        ws,
        view,
        "env",
        ANTHROPIC_API_KEY="sk-ant-jail-test",
        AWS_SECRET_ACCESS_KEY="not-for-the-agent",
    )
    assert done.returncode == 0, done.stderr
    seen = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert seen["ANTHROPIC_API_KEY"] == "sk-ant-jail-test"
    assert "AWS_SECRET_ACCESS_KEY" not in seen
    launcher_files = b"".join(p.read_bytes() for p in (tmp_path / "private" / "launch").iterdir())
    assert b"sk-ant-jail-test" not in launcher_files  # passed by name, never written down
