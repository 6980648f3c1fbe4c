"""Spec cards: the requirement, environment, workload and loop settings of one synthesis."""

from jitskit_tui.spec.loader import load_spec, load_spec_text
from jitskit_tui.spec.model import SpecCard
from jitskit_tui.spec.source import SpecError, SpecIssue

__all__ = ["SpecCard", "SpecError", "SpecIssue", "load_spec", "load_spec_text"]
