"""Loading spec cards: YAML -> validated :class:`SpecCard`, or every problem at once."""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from jitskit_tui.spec.checks import cross_checks
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.spec.source import PathElem, SpecError, SpecIssue, YamlCard, parse_card, read_card


def load_spec(path: Path | str) -> SpecCard:
    """Reads and validates a card file; raises :class:`SpecError` listing every problem."""
    path = Path(path)
    return validate_card(read_card(path), default_name=path.stem)


def load_spec_text(text: str, file: str = "<editor>", default_name: str = "card") -> SpecCard:
    """Validates card text, as typed in an editor, exactly as a file would be."""
    return validate_card(parse_card(text, file), default_name=default_name)


def validate_card(card: YamlCard, default_name: str) -> SpecCard:
    data = typing.cast(dict[object, object], card.data)
    if "name" not in data:
        # A card without a name takes its file's, so `specs/foo.yaml` runs as `foo`.
        data = {"name": _slug(default_name), **data}
    try:
        spec = SpecCard.model_validate(data)
    except ValidationError as exc:
        raise SpecError([_issue(card, err) for err in exc.errors()]) from None
    problems = cross_checks(spec)
    if problems:
        raise SpecError([card.issue_at(p.path, p.message) for p in problems])
    return spec


def _slug(stem: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:64]
    return slug or "card"


def _dotted(loc: tuple[PathElem, ...]) -> str:
    return ".".join(str(p) for p in loc) or "the card"


def _issue(card: YamlCard, err: ErrorDetails) -> SpecIssue:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "missing":
        parent, key = loc[:-1], loc[-1]
        where = f"`{_dotted(_model_path(parent))}`" if parent else "the card"
        return card.issue_at(parent, f"missing key `{key}` in {where}")
    if kind == "extra_forbidden":
        parent, key = loc[:-1], str(loc[-1])
        allowed = _allowed_keys(parent)
        hint = ""
        close = difflib.get_close_matches(key, allowed, n=1)
        if close:
            hint = f"; did you mean `{close[0]}`?"
        elif allowed:
            hint = f"; allowed here: {', '.join(allowed)}"
        where = f"`{_dotted(_model_path(parent))}`" if parent else "the card"
        return card.issue_at(loc, f"unknown key `{key}` in {where}{hint}")
    message = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message[:1].lower() + message[1:]
    return card.issue_at(loc, f"`{_dotted(_model_path(loc))}`: {message}")


def _model_path(loc: tuple[PathElem, ...]) -> tuple[PathElem, ...]:
    """The location without pydantic's union-tag steps, as the user wrote the keys."""
    out: list[PathElem] = []
    model: type[BaseModel] | None = SpecCard
    for element in loc:
        if model is not None and isinstance(element, str) and element in model.model_fields:
            out.append(element)
            model = _field_model(model, element)
        elif isinstance(element, int):
            out.append(element)
        elif isinstance(element, str):
            model = _union_member(element)
    return tuple(out)


def _allowed_keys(parent: tuple[PathElem, ...]) -> list[str]:
    model: type[BaseModel] | None = SpecCard
    for element in parent:
        if model is not None and isinstance(element, str) and element in model.model_fields:
            model = _field_model(model, element)
        elif isinstance(element, str):
            model = _union_member(element)
    return sorted(model.model_fields) if model is not None else []


def _field_model(model: type[BaseModel], field: str) -> type[BaseModel] | None:
    annotation = model.model_fields[field].annotation
    candidates = [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        candidates = [a for a in typing.get_args(annotation) if a is not type(None)]
    models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


def _union_member(tag: str) -> type[BaseModel] | None:
    # Pydantic names the chosen member of a discriminated union by its tag.
    from jitskit_tui.spec import model as spec_model

    members: dict[str, type[BaseModel]] = {
        "uniform": spec_model.Uniform,
        "zipfian": spec_model.Zipfian,
        "latest": spec_model.Latest,
        "hotspot": spec_model.Hotspot,
    }
    return members.get(tag)
