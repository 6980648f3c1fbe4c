"""The real program in a real terminal: start it in tmux, edit a card, save, quit; and
start a run from the card, steer it, stop it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from recording import TINY, TRAJECTORY

from support import SPECS

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.slow,
]


def _command(card: str) -> list[str]:
    """``jitskit tui CARD`` once the console script has the command, else the same click
    command run directly."""
    jitskit = Path(sys.executable).with_name("jitskit")
    probe = subprocess.run([str(jitskit), "--help"], capture_output=True, text=True)
    if " tui " in probe.stdout:
        return [str(jitskit), "tui", card]
    return [sys.executable, "-c", "from jitskit_tui.cli.tui_cmd import tui; tui()", card]


class Terminal:
    """A tmux server of our own, one window at a fixed size."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )

    def start(self, command: list[str], cwd: Path, size: tuple[int, int]) -> None:
        self.tmux(
            "new-session",
            "-d",
            "-s",
            "app",
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            "-c",
            str(cwd),
            *command,
        ).check_returncode()

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "app").stdout

    def keys(self, *keys: str) -> None:
        # One key at a time: a burst of escape sequences can be split differently.
        for key in keys:
            self.tmux("send-keys", "-t", "app", key).check_returncode()
            time.sleep(0.03)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 15) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if predicate(self.screen()):
                return time.monotonic() - start
            time.sleep(0.02)
        raise AssertionError(f"timed out; the screen shows:\n{self.screen()}")

    def running(self) -> bool:
        return self.tmux("has-session", "-t", "app").returncode == 0


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"jitskit-test-{os.getpid()}")
    try:
        yield term
    finally:
        term.tmux("kill-server")


def test_edit_check_save_and_quit_in_a_real_terminal(tmp_path: Path, terminal: Terminal) -> None:
    (tmp_path / "specs").mkdir()
    card = tmp_path / "specs" / "demo.yaml"
    shutil.copy(SPECS / "demo.yaml", card)

    started = time.monotonic()
    terminal.start(_command("specs/demo.yaml"), tmp_path, (100, 30))
    terminal.wait_for(lambda s: "specs/demo.yaml" in s and "Ln 1, Col 1" in s)
    first_paint = time.monotonic() - started
    terminal.wait_for(lambda s: "✓ valid" in s)
    print(f"first paint after {first_paint:.2f}s")

    # Line 27 is "  threads: 2": make it a word and watch the problem appear.
    terminal.keys(*["Down"] * 26, "End", "BSpace", "x")
    terminal.wait_for(lambda s: "27:3" in s and "1 problem" in s and "● modified" in s)

    terminal.keys("C-s")
    terminal.wait_for(lambda s: "Saved specs/demo.yaml" in s)
    assert "  threads: x\n" in card.read_text()

    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while terminal.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not terminal.running(), terminal.screen()


def test_edit_run_steer_and_stop_in_a_real_terminal(tmp_path: Path, terminal: Terminal) -> None:
    """The whole loop from the keyboard: edit the card, start a run with the scripted agent,
    steer it, watch the steering land, stop it, quit."""
    (tmp_path / "specs").mkdir()
    shutil.copy(TINY, tmp_path / "specs" / "tiny.yaml")
    command = ["env", "-u", "ANTHROPIC_API_KEY", *_command("specs/tiny.yaml")]
    terminal.start(command, tmp_path, (100, 30))
    terminal.wait_for(lambda s: "✓ valid" in s)

    # Line 23 is "  iterations: 3": make it 2. Ctrl+R saves the valid card and asks how.
    terminal.keys(*["Down"] * 22, "End", "BSpace", "2")
    terminal.wait_for(lambda s: "● modified" in s and "✓ valid" in s)
    terminal.keys("C-r")
    terminal.wait_for(lambda s: "Run specs/tiny.yaml" in s and "Claude Code" in s)
    assert "  iterations: 2\n" in (tmp_path / "specs" / "tiny.yaml").read_text()
    # From Start, back through the form (past the smaller-machine box): no baselines, the
    # tests' trajectory at the realistic pace, so the pause lands inside iteration 1.
    terminal.keys("BTab", "BTab", "Space", "BTab")
    time.sleep(0.2)  # an escape sequence and the next key in one read can be misparsed
    terminal.keys(*str(TRAJECTORY))
    terminal.wait_for(lambda s: str(TRAJECTORY) in s)
    terminal.keys("BTab", "BTab", "BTab", "C-s")
    terminal.wait_for(lambda s: "live here" in s and "iteration 1" in s, timeout=30)

    # Pause, so the steering stays pending long enough to be seen; resume, and it lands.
    terminal.keys("Space")
    terminal.wait_for(lambda s: "PAUSED" in s, timeout=60)
    terminal.keys("s")
    terminal.wait_for(lambda s: "Steer the run" in s)
    terminal.keys(*"Use fewer shards", "Enter")
    terminal.wait_for(lambda s: "⚑ pending" in s and "Use fewer shards" in s)
    terminal.keys("Space")
    terminal.wait_for(lambda s: "handed to the planner" in s, timeout=60)
    screen = terminal.screen()
    assert "planner" in screen and "iteration 2" in screen

    terminal.keys("S")
    terminal.wait_for(lambda s: "STOPPED" in s, timeout=90)
    assert "2/2" in terminal.screen() or "1/2" in terminal.screen()
    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while terminal.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not terminal.running(), terminal.screen()


def test_run_opens_the_dashboard_with_the_run_going(tmp_path: Path, terminal: Terminal) -> None:
    """`jitskit run SPEC` (no --headless): the dashboard, the run live in the app; it ends
    with its budget, the app quits, and the command says where the run is."""
    (tmp_path / "specs").mkdir()
    shutil.copy(TINY, tmp_path / "specs" / "tiny.yaml")
    jitskit = Path(sys.executable).with_name("jitskit")
    run = (
        f"{jitskit} run specs/tiny.yaml --agent scripted --pace fast --trajectory {TRAJECTORY}"
        " --no-baselines --iterations 1 --workspace workspaces/in-the-app"
    )
    # After the app, the shell shows what the command printed and its exit code.
    command = ["env", "-u", "ANTHROPIC_API_KEY", "sh", "-c", f'{run}; echo "exit $?"; sleep 30']
    terminal.start(command, tmp_path, (100, 30))
    terminal.wait_for(
        lambda s: "live here" in s and "iteration 1" in s and "1 Transcript" in s, timeout=30
    )
    screen = terminal.screen()
    assert "0/1" in screen and "STOPPED" not in screen
    terminal.wait_for(lambda s: "STOPPED (finished)" in s and "1/1" in s, timeout=120)
    terminal.keys("C-q")
    terminal.wait_for(lambda s: "exit " in s, timeout=10)
    after = terminal.screen()
    assert "workspace: workspaces/in-the-app" in after and "exit 0" in after
