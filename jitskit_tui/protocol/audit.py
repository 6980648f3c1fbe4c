"""The run's audit suite as data: the tests the auditor added against reward hacks
(`audit/suite.yaml`). Reading, writing and running it is the engine's
(:mod:`jitskit_tui.engine.audit_suite`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TEST_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"


class AuditTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=TEST_ID)
    file: str
    """The test's source, relative to `audit/`."""
    severity: Literal["log", "gate"] = "log"
    invariant: str
    """One line: what must hold."""
    added_in: int = 0
    """The iteration after which the auditor added it."""
    escalated_in: int | None = None
    """The iteration in which a persisting `log` finding became a `gate`."""


class AuditSuite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tests: list[AuditTest] = Field(default_factory=list)

    def get(self, test_id: str) -> AuditTest | None:
        return next((t for t in self.tests if t.id == test_id), None)
