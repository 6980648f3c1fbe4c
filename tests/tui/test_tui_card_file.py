"""Reading cards into the editor and writing them back atomically, without Textual."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jitskit_tui.spec.source import MAX_CARD_BYTES
from jitskit_tui.tui import card_file
from jitskit_tui.tui.card_file import CardWriteError, read_card_text, write_atomically


def test_the_size_limit_matches_the_loader() -> None:
    assert card_file.MAX_CARD_BYTES == MAX_CARD_BYTES


def test_a_missing_card_is_an_empty_new_card(tmp_path: Path) -> None:
    card = read_card_text(tmp_path / "new.yaml")
    assert card.text == "" and card.overwritable
    assert card.problem is not None and "does not exist yet" in card.problem


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"name: x\x00", "binary"),
        (b"name: \xff\xfe", "not UTF-8"),
        (b"x" * (MAX_CARD_BYTES + 1), "at most 1 MiB"),
    ],
    ids=["binary", "latin1", "too-big"],
)
def test_an_unusable_file_is_not_offered_for_overwriting(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "card.yaml"
    path.write_bytes(content)
    card = read_card_text(path)
    assert card.text == "" and not card.overwritable
    assert card.problem is not None and says in card.problem


def test_write_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text("old")
    path.chmod(0o640)
    write_atomically(path, "new: text\n")
    assert path.read_text() == "new: text\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.yaml"]


def test_write_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    write_atomically(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "card.yaml"
    path.write_text("old")

    def refuse(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(CardWriteError, match=r"Input/output error.*still in the editor"):
        write_atomically(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.yaml"]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CardWriteError, match="does not exist"):
        write_atomically(tmp_path / "nowhere" / "card.yaml", "x")
