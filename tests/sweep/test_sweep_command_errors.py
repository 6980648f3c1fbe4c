"""`jitskit sweep` checks every card before it makes anything, and says what is wrong
with each; a resume keeps the sweep's own cards and choices."""

from __future__ import annotations

from pathlib import Path

from sweepkit import TINY, run_cli, sweep_args


def test_every_bad_card_is_named_and_nothing_is_made(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(TINY.read_text().replace("threads: 2", "threads: zero"))
    missing = tmp_path / "missing.yaml"
    folder = tmp_path / "sweep"
    done = run_cli(*sweep_args(folder, cards=(TINY, broken, missing)), timeout=60)
    assert done.returncode == 2
    assert str(broken) in done.stderr and "threads" in done.stderr
    assert str(missing) in done.stderr
    assert not folder.exists()


def test_resume_refuses_new_cards_and_unknown_folders(tmp_path: Path) -> None:
    mixed = run_cli("sweep", str(TINY), "--resume", str(tmp_path), timeout=60)
    assert mixed.returncode == 2
    assert "only --parallel and --iterations may change" in mixed.stderr
    unknown = run_cli("sweep", "--resume", str(tmp_path), timeout=60)
    assert unknown.returncode == 2
    assert f"{tmp_path}: not a sweep (no sweep.json in it)" in unknown.stderr
