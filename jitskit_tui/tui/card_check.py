"""Validating editor text into a card or a list of located problems, off the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jitskit_tui.spec import SpecCard, SpecIssue


@dataclass(frozen=True)
class CardCheck:
    """The outcome of one validation: a card, or every problem in the text."""

    spec: SpecCard | None
    issues: tuple[SpecIssue, ...]

    @property
    def valid(self) -> bool:
        return self.spec is not None


def check_card_text(text: str, file: str, default_name: str) -> CardCheck:
    """Never raises: any failure of the validator itself becomes a problem at 1:1.

    The spec package (pydantic) is imported here, in the checking thread, so the app
    paints its first screen without waiting for it.
    """
    from jitskit_tui.spec import SpecError, SpecIssue, load_spec_text

    try:
        return CardCheck(load_spec_text(text, file=file, default_name=default_name), ())
    except SpecError as err:
        return CardCheck(None, tuple(err.issues))
    except Exception as exc:  # a validator bug must not take the editor down
        return CardCheck(None, (SpecIssue(file, 1, 1, f"the card could not be checked: {exc!r}"),))
