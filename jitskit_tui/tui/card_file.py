"""Reading a card file into the editor and writing it back without ever half-writing it.

Nothing here imports Textual: these are plain functions the editor calls (writes from a
worker thread), and tests call directly.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

# The loader's limit (jitskit_tui.spec.source.MAX_CARD_BYTES, checked equal by a test),
# not imported: importing the spec package costs pydantic before the first paint.
MAX_CARD_BYTES = 1 << 20


@dataclass(frozen=True)
class CardText:
    """What the editor opens: the file's text, or why there is none.

    ``overwritable`` is False when the file exists but could not be read: saving over it
    could destroy content the user never saw, so the editor asks for another path.
    """

    path: Path
    text: str
    problem: str | None = None
    overwritable: bool = True


class CardWriteError(Exception):
    """A card could not be saved; the message names the file, the cause and a next step."""


def display_path(path: Path) -> str:
    """The path as a person would type it: relative under the current directory."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        home = Path.home()
        try:
            return "~/" + str(path.resolve().relative_to(home))
        except (ValueError, OSError):
            return str(path)


def read_card_text(path: Path) -> CardText:
    """Reads a card for editing. Never raises: a missing file is an empty new card, an
    unreadable one an empty buffer that will not be saved over the original."""
    shown = display_path(path)
    try:
        if path.is_dir():
            return CardText(path, "", f"{shown} is a directory; open a .yaml card", False)
        size = path.stat().st_size
        if size > MAX_CARD_BYTES:
            return CardText(
                path, "", f"{shown} is {size} bytes; a spec card is at most 1 MiB", False
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return CardText(path, "", f"{shown} does not exist yet; ctrl+s creates it")
    except PermissionError:
        return CardText(path, "", f"{shown} cannot be read: permission denied", False)
    except OSError as exc:
        return CardText(path, "", f"{shown} cannot be read: {exc.strerror}", False)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return CardText(path, "", f"{shown} is not UTF-8 text; save the card as UTF-8", False)
    if "\x00" in text:
        return CardText(path, "", f"{shown} holds binary content, not a spec card", False)
    return CardText(path, text)


def write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` through a temporary file in the same directory and a
    rename, so a crash or a full disk leaves either the old card or the new one.

    A symlinked card is written through to its target; an existing file keeps its mode.
    Raises :class:`CardWriteError` on any failure, having removed the temporary file.
    """
    shown = display_path(path)
    target = path.resolve() if path.is_symlink() else path
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise CardWriteError(
            f"cannot save {shown}: folder {display_path(directory)} does not exist; "
            "create it or save elsewhere (F12)"
        )
    data = text.encode("utf-8")
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CardWriteError(f"cannot save {shown}: {exc.strerror}") from None
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
        tmp_name = None
        _sync_directory(directory)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CardWriteError(
            f"cannot save {shown}: {reason}; the text is still in the editor, "
            "fix the cause or save elsewhere (F12)"
        ) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every filesystem allows opening a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
