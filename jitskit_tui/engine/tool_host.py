"""What the coder's and the auditor's tools reach in the loop (the
:class:`~jitskit_tui.engine.tools.ToolHost` of one iteration): events, the pause point,
`next-tool` steering, the quick evaluation and earlier results."""

from __future__ import annotations

from jitskit_tui.engine.evaluation import Bench, evaluate_store, evaluation_failed
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.engine.tools import ToolError
from jitskit_tui.harness.stopping import trial_settings
from jitskit_tui.protocol.events import Event, Role
from jitskit_tui.protocol.results import EvalResult
from jitskit_tui.protocol.texts import record_text, result_text
from jitskit_tui.protocol.tools import Steering
from jitskit_tui.sandbox.base import MachineError

TOOL_TRIALS = 2
"""Trials in a `build_and_test` evaluation: enough for a figure, few enough to be quick."""


class IterationToolHost:
    """The tools' view of iteration ``n``, which builds on iteration ``parent``."""

    def __init__(self, run: RunContext, bench: Bench, n: int, parent: int) -> None:
        self.run = run
        self.bench = bench
        self.n = n
        self.parent = parent
        self._last_result: EvalResult | None = None

    def emit(self, event: Event) -> Event:
        return self.run.emit(event)

    async def checkpoint(self) -> None:
        await self.run.checkpoint()

    @property
    def spec_text(self) -> str:
        return self.run.spec_text

    @property
    def header_text(self) -> str:
        return self.run.header_text

    def take_tool_steering(self, role: Role) -> list[Steering]:
        handed = self.run.hand_over_steering("next-tool", role, self.n)
        return [Steering(id=s.id, text=s.text) for s in handed]

    async def quick_evaluation(self) -> str:
        """The store alone, gated, with two trials: a check that it builds and passes, and
        a rough figure, kept fast. It decides nothing: the loop's own evaluation measures
        the store paired against the best and the baselines."""
        before = self.run.state.loop_state
        trials = trial_settings(self.run.spec, self.bench.size).pinned(TOOL_TRIALS)
        try:
            result = await evaluate_store(self.run, self.bench, self.n, "tool", trials=trials)
        except MachineError:
            raise
        except Exception as exc:
            raise ToolError(evaluation_failed(self.run, self.n, exc)) from None
        finally:
            self.run.set_state(before)
        self._last_result = result
        return result_text(result, logs=not result.counts) + (
            f"\n(a check: {TOOL_TRIALS} trials of this store alone, so its interval is wide; "
            "the loop's evaluation measures it paired against the best and the baselines)"
        )

    async def benchmark(self) -> tuple[str, bool]:
        raise ToolError("the benchmark tool belongs to the naive experiment (--naive)")

    async def results_text(self, iteration: int | None) -> str:
        if iteration == self.n:
            if self._last_result is not None:
                return "your last build_and_test:\n" + result_text(self._last_result, logs=True)
            return f"iteration {self.n} (this one) has no result yet; build_and_test measures it"
        wanted = iteration if iteration is not None else self.parent
        if wanted == 0:
            return "no iteration has been evaluated yet: this is the first"
        record = await self.run.load_record(wanted)
        if record is None:
            return f"no result for iteration {wanted}"
        return record_text(record)
