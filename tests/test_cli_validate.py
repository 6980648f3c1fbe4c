"""`jitskit validate`: a summary line per valid card, PATH:LINE:COL errors otherwise."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from support import SPECS

Jitskit = Callable[..., CompletedProcess[str]]


def test_shipped_cards_validate_with_one_summary_each(jitskit: Jitskit) -> None:
    cards = sorted(SPECS.glob("*.yaml"))
    result = jitskit("validate", *map(str, cards))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(cards)
    demo = next(line for line in lines if line.startswith(str(SPECS / "demo.yaml")))
    assert "YCSB-A" in demo and "durability none" in demo
    assert "2 threads" in demo and "machine local" in demo


def test_invalid_card_exits_2_with_located_errors(jitskit: Jitskit, tmp_path: Path) -> None:
    card = tmp_path / "bad.yaml"
    card.write_text((SPECS / "demo.yaml").read_text().replace("threads: 2", "threads: two"))
    result = jitskit("validate", str(card))
    assert result.returncode == 2
    line_no = next(
        i for i, line in enumerate(card.read_text().splitlines(), 1) if "threads: two" in line
    )
    expected = rf"{re.escape(str(card))}:{line_no}:3: `workload.threads`: .+\n"
    assert re.fullmatch(expected, result.stderr)


def test_mixed_valid_and_invalid_cards_report_both(jitskit: Jitskit, tmp_path: Path) -> None:
    bad = tmp_path / "empty.yaml"
    bad.write_text("")
    result = jitskit("validate", str(SPECS / "demo.yaml"), str(bad))
    assert result.returncode == 2
    assert "demo: YCSB-A" in result.stdout
    assert result.stderr.startswith(f"{bad}:1:1: empty card")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02binary",
        b"[1, 2, 3]\n",
        b"key: [unclosed\n",
        b"\xff\xfe\xfd",
        b"a: &x [*x]\n",
    ],
    ids=["empty", "binary", "list", "syntax", "not-utf8", "self-alias"],
)
def test_never_a_traceback(jitskit: Jitskit, tmp_path: Path, content: bytes) -> None:
    card = tmp_path / "card.yaml"
    card.write_bytes(content)
    result = jitskit("validate", str(card))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert re.fullmatch(rf"{re.escape(str(card))}:\d+:\d+: .+\n", result.stderr)


def test_directory_and_missing_file(jitskit: Jitskit, tmp_path: Path) -> None:
    result = jitskit("validate", str(tmp_path), str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{tmp_path}:1:1: is a directory; give a .yaml spec card",
        f"{tmp_path / 'nope.yaml'}:1:1: no such file",
    ]


def test_no_card_is_a_usage_error(jitskit: Jitskit) -> None:
    result = jitskit("validate")
    assert result.returncode == 2 and "Missing argument" in result.stderr
