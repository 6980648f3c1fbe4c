"""The best comparable baseline the ratio is against: the run's earlier one, measured at
the start of a stint, or measured again when the `baselines` control asks (between
iterations only, so no evaluation runs beside it)."""

from __future__ import annotations

from jitskit_tui.engine.baseline import BaselineSource, fresh_baselines, measured_baselines
from jitskit_tui.engine.reporting import EvalEvents, bench_result
from jitskit_tui.engine.run_context import RunContext
from jitskit_tui.harness.baseline_runs import paired_baselines
from jitskit_tui.harness.eval_run import EvalObserver
from jitskit_tui.protocol.events import BaselineKnown, ErrorRaised, EvalStarted
from jitskit_tui.protocol.results import BaselineReport
from jitskit_tui.sandbox.base import BenchMachine, MachineError


async def remeasure_if_asked(
    run: RunContext, source: BaselineSource | None, machine: BenchMachine
) -> None:
    """Measures the baselines again when the `baselines` control asked for it: called
    between iterations only, so no evaluation is ever running beside it."""
    refresh = run.take_baselines_request()
    if refresh is not None:
        await measure_baseline(run, source, machine, force=True, refresh=refresh)


async def measure_baseline(
    run: RunContext,
    source: BaselineSource | None,
    machine: BenchMachine,
    *,
    force: bool = False,
    refresh: bool = False,
) -> None:
    """The best comparable baseline for the ratio: the run's earlier one, or measured.

    ``force`` measures even when the run has one (the `baselines` control): with the
    run's baseline source, or the real baselines when the run was started without them;
    ``refresh`` then measures past their cache. A forced measurement that fails keeps
    the baseline the run had."""
    previous = run.baseline
    if not force:
        if run.state.baseline_ops_s is not None and run.state.baseline_name is not None:
            run.set_baseline((run.state.baseline_name, run.state.baseline_ops_s))
            return
        if source is None:
            run.emit(
                BaselineKnown(
                    name=None,
                    ops_s=None,
                    machine=machine.label,
                    detail="baselines not measured for this run; the ratio is unknown",
                )
            )
            return
    if source is None or (refresh and source is measured_baselines):
        source = fresh_baselines if refresh else measured_baselines
    before = run.state.loop_state
    run.set_state("baselines")
    try:
        report = await _measure(run, source, machine, previous if force else None)
    finally:
        if force:
            run.set_state(before)
    if report is None:
        return
    found = (
        (report.best_comparable, report.best_comparable_ops_s)
        if report.best_comparable is not None
        else None
    )
    run.set_baseline(found)
    skipped = "; ".join(f"{name} {why}" for name, why in report.skipped.items())
    if found is None:
        detail = "no comparable baseline passed the gates" + (f" ({skipped})" if skipped else "")
    elif force:
        detail = "measured on request" + (
            f" (was {previous[0]} at {previous[1]:,.0f} ops/s)" if previous else ""
        )
    else:
        detail = ""
    run.emit(
        BaselineKnown(
            name=found[0] if found else None,
            ops_s=found[1] if found else None,
            machine=machine.label,
            detail=detail,
            paired=paired_baselines(report),
            figures={r.name: r.throughput_ops_s for r in report.results if r.counts},
        )
    )


async def _measure(
    run: RunContext,
    source: BaselineSource,
    machine: BenchMachine,
    keep: tuple[str, float] | None,
) -> BaselineReport | None:
    """Every comparable baseline's result, each logged; ``None`` when measuring failed and
    the run keeps ``keep``, the baseline it had."""

    def observer_for(name: str) -> EvalObserver:
        run.emit(EvalStarted(purpose="baseline", name=name, size="quick", machine=machine.label))
        return EvalEvents(run.emit, lambda state: None, "baseline", None, name)

    try:
        report = await source(
            run.spec,
            machine,
            observer_for,
            allow_smaller_machine=run.state.allow_smaller_machine,
        )
    except MachineError:
        raise
    except Exception as exc:  # a baseline failing must not stop the run
        stays = f"against {keep[0]}" if keep else "unknown"
        run.emit(
            ErrorRaised(
                iteration=run.current_iteration,
                where="baselines",
                message=f"measuring the baselines failed: {exc}",
                next_step=f"`jitskit baselines SPEC` shows why; the ratio stays {stays}",
            )
        )
        if keep is not None:
            return None
        report = BaselineReport(results=[])
    for result in report.results:
        run.emit(bench_result(result, "baseline", baseline=result.name))
    return report
