"""`jitskit runs` (the runs on this machine) and `jitskit show RUN [N]` (one iteration)."""

from __future__ import annotations

from pathlib import Path

import click

from jitskit_tui.cli.result_table import print_result
from jitskit_tui.engine import gitrepo
from jitskit_tui.engine.eventlog import EventLogError, read_events
from jitskit_tui.engine.runs import list_runs
from jitskit_tui.engine.state import RunState
from jitskit_tui.engine.workspace import Workspace, WorkspaceError, find_workspace
from jitskit_tui.machine_kinds import address_forms
from jitskit_tui.protocol.events import ROLES, HeadlineMeasured
from jitskit_tui.protocol.records import IterationRecord
from jitskit_tui.protocol.texts import (
    TIMES,
    baseline_ratio_text,
    headline_text,
    interval_ratio_text,
    ops_s,
    ratio_number,
    throughput_text,
    verdict_line,
)
from jitskit_tui.sweep.board import SweepBoard, list_sweep_dirs
from jitskit_tui.sweep.folder import SweepError, SweepFolder

EXIT_DAMAGED = 1
EXIT_USAGE = 2


@click.command("runs")
@click.option(
    "--dir",
    "base",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the runs are (default: workspaces/).",
)
def runs(base: Path | None) -> None:
    """List runs: spec, start, iterations, best throughput and ratio, headline, status;
    then the sweeps (`jitskit report SWEEP` tabulates one, `jitskit tui SWEEP` shows it)."""
    found = list_runs(base)
    sweeps = _sweeps(base)
    if not found and not sweeps:
        click.echo(
            f"no runs in {base or 'workspaces'}/; start one with `jitskit run SPEC --headless`"
        )
        return
    if not found:
        click.echo("\n".join(sweeps))
        return
    header = (
        f"{'RUN':<44} {'SPEC':<14} {'STARTED (UTC)':<17} {'ITER':>7} {'BEST OPS/S':>14} "
        f"{'RATIO':<19} {'HEADLINE':<34} STATUS"
    )
    click.echo(header)
    for run in found:
        started = run.started.strftime("%Y-%m-%d %H:%M") if run.started else "?"
        best = f"{run.best_ops_s:,.0f}" if run.best_ops_s else "-"
        ratio = "-"
        if run.best_comparison is not None:
            ratio = interval_ratio_text(run.best_comparison.ratio, TIMES)
        elif run.best_ops_s and run.best_ratio is not None:
            ratio = f"{ratio_number(run.best_ratio)}{TIMES} unpaired"
        iterations = f"{run.completed}/{run.budget}"
        odd = f" ({run.problems} odd log lines)" if run.problems else ""
        naive = ", naive" if run.naive else ""
        click.echo(
            f"{run.workspace.name:<44} {run.spec_name:<14} {started:<17} {iterations:>7} "
            f"{best:>14} {ratio:<19} {run.headline or '-':<34} {run.status}{naive}{odd}"
        )
    if sweeps:
        click.echo("")
        click.echo("\n".join(sweeps))


def _sweeps(base: Path | None) -> list[str]:
    """A header and one line per sweep under ``base``; none when there is none."""
    lines = []
    for path in list_sweep_dirs(base):
        try:
            view = SweepBoard(SweepFolder(path)).read()
        except (SweepError, OSError):
            continue
        cards = ", ".join(e.spec_name for e in view.manifest.entries)
        lines.append(
            f"{path.name:<44} {view.manifest.created:%Y-%m-%d %H:%M}  "
            f"{view.completed:>3}/{view.budget:<3} {view.status:<9} {cards}"
        )
    return (
        [f"{'SWEEP':<44} {'MADE (UTC)':<17} {'ITER':>7} {'STATUS':<9} CARDS", *lines]
        if lines
        else []
    )


@click.command("show")
@click.argument("run_name", metavar="RUN")
@click.argument("iteration", required=False, type=click.IntRange(1))
@click.option("--against", help="Diff against `best` or an iteration number instead of the parent.")
@click.option("--no-diff", is_flag=True, help="Only the summary.")
@click.option("--logs", is_flag=True, help="Include the build, gate and benchmark log tails.")
@click.option(
    "--beside",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[OTHER]",
    help="Put run OTHER (or OTHER@N) of the same card beside RUN (or RUN@N): each one's "
    "store (N, else its best, else its last), what a naive agent believed beside what the "
    "gates found, cost, and their stores' paired comparison when one was measured. Alone: "
    "the newest run of the other kind (a pipeline run beside a naive one, and the reverse).",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Measure the two stores now as paired trials (implies --beside) and keep the "
    "result in the naive run's folder, where the next --beside finds it.",
)
@click.option("--full", is_flag=True, help="With --compare: at the card's full size.")
@click.option("--machine", help=f"With --compare: the benchmark machine ({address_forms()}).")
def show(
    run_name: str,
    iteration: int | None,
    against: str | None,
    no_diff: bool,
    logs: bool,
    beside: str | None,
    compare: bool,
    full: bool,
    machine: str | None,
) -> None:
    """Print iteration N of RUN (default: the best, else the latest) and its diff; with
    --beside, RUN beside another run of its card and their stores compared."""
    if (full or machine) and not compare:
        click.echo("jitskit: --full and --machine go with --compare", err=True)
        raise SystemExit(EXIT_USAGE)
    if (beside is not None or compare) and (against or logs):
        click.echo(
            "jitskit: --against and --logs show one iteration; --beside shows two runs",
            err=True,
        )
        raise SystemExit(EXIT_USAGE)
    if beside is not None or compare:
        from jitskit_tui.cli.show_beside import show_beside

        show_beside(run_name, iteration, beside or "", compare=compare, full=full, machine=machine)
        return
    try:
        ws = find_workspace(run_name)
        state = RunState.from_events(read_events(ws.events))
    except (WorkspaceError, EventLogError) as exc:
        click.echo(f"jitskit: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    except OSError as exc:
        click.echo(f"jitskit: {run_name}: the run's event log cannot be read: {exc}", err=True)
        raise SystemExit(EXIT_DAMAGED) from None
    odd = state.problem_count + state.corrupt_lines
    if odd:
        first = f"; first: {state.problems[0]}" if state.problems else ""
        click.echo(
            f"note: {ws.events}: {odd} log lines did not fit the run and were skipped or "
            f"taken as they came{first}",
            err=True,
        )
    done = sorted(n for n, it in state.iterations.items() if it.state == "done")
    if not done:
        click.echo(f"jitskit: {ws.name}: no iteration is committed yet", err=True)
        raise SystemExit(EXIT_USAGE)
    best_done = state.best_iteration if state.best_iteration in done else None
    number = iteration or best_done or done[-1]
    view = state.iterations.get(number)
    if view is None or view.state != "done":
        click.echo(
            f"jitskit: {ws.name}: no committed iteration {number} (committed: "
            f"{', '.join(map(str, done))})",
            err=True,
        )
        raise SystemExit(EXIT_USAGE)
    if state.headline is not None:
        _print_headline(state.headline, state.best_iteration)
    record = _record(ws, view.commit, number)
    best = " (best)" if state.best_iteration == number else ""
    click.echo(f"iteration {number}{best}: {view.summary}")
    click.echo(
        f"  commit {view.commit[:10]} on {view.branch}, from iteration {view.parent_iteration}"
    )
    if view.plan_title:
        click.echo(f"  plan: {view.plan_title}")
    if record is None:
        click.echo(f"  (no readable results/iteration-{number}.json in its commit)")
    else:
        click.echo(f"  {verdict_line(record)}")
        if record.claimed_ops_s is not None:
            found = "every gate passed" if record.counts else verdict_line(record)
            click.echo(
                f"  the naive agent believed {ops_s(record.claimed_ops_s)} (its benchmark "
                f"tool, throughput only); the gates found: {found}"
            )
        if record.baseline and record.baseline_ops_s:
            how = (
                "measured beside it"
                if record.vs_baseline is not None and record.vs_baseline.paired
                else "cached, measured at another time"
            )
            click.echo(f"  baseline: {record.baseline} at {ops_s(record.baseline_ops_s)} ({how})")
        if record.result is not None:
            shown = record.result if logs else record.result.model_copy(update={"logs": {}})
            print_result(shown)
            if logs:
                for step, log in record.result.logs.items():
                    if log.strip():
                        click.echo(f"\n--- {step} log (tail) ---\n{log.strip()[-4000:]}")
    if view.critique:
        click.echo(f"\ncritique:\n{view.critique.strip()}")
    _print_cost(state)
    if no_diff:
        return
    base, label = f"{view.commit}^", f"iteration {view.parent_iteration}"
    if against == "best":
        best_view = state.iterations.get(state.best_iteration or 0)
        if best_view is None or not best_view.commit:
            click.echo("jitskit: no committed best iteration to diff against", err=True)
            raise SystemExit(EXIT_USAGE)
        base, label = best_view.commit, f"the best ({state.best_iteration})"
    elif against is not None:
        other = state.iterations.get(int(against)) if against.isdigit() else None
        if other is None or other.state != "done":
            click.echo(
                f"jitskit: --against {against}: not `best` or a committed iteration", err=True
            )
            raise SystemExit(EXIT_USAGE)
        base, label = other.commit, f"iteration {against}"
    if not view.commit:
        click.echo(f"jitskit: {ws.name}: iteration {number} has no commit in the log", err=True)
        raise SystemExit(EXIT_DAMAGED)
    try:
        diff = gitrepo.diff(ws, base, view.commit)
    except WorkspaceError as exc:
        click.echo(f"jitskit: the diff against {label} cannot be made: {exc}", err=True)
        raise SystemExit(EXIT_DAMAGED) from None
    click.echo(f"\ndiff against {label}:")
    click.echo(diff if diff.strip() else "(no change)")


def _print_headline(headline: HeadlineMeasured, best_now: int | None) -> None:
    """The run's reported result: the best at the full size, paired against each baseline
    near it; the others with their cached, unpaired figure."""
    moved = (
        f" (the best has moved to #{best_now} since)"
        if best_now is not None and best_now != headline.best_iteration
        else ""
    )
    click.echo(f"headline: {headline_text(headline, TIMES)}{moved}")
    figure = throughput_text(headline.throughput) if headline.throughput else "not measured"
    click.echo(
        f"  best iteration {headline.best_iteration} ({headline.best_sha[:10]}) at the "
        f"{headline.size} size, held-out trace seed {headline.seed}: {figure}"
    )
    for comparison in headline.comparisons:
        click.echo(f"  paired:   {baseline_ratio_text(comparison, TIMES)} ({comparison.verdict})")
    for name, cached in sorted(headline.unpaired.items(), key=lambda kv: -kv[1]):
        click.echo(
            f"  unpaired: {name} at {ops_s(cached)} (cached; over 2{TIMES} from the best, not "
            "measured beside it)"
        )
    if headline.machine:
        click.echo(f"  machine: {headline.machine}")
    for warning in (headline.conditions_warning, headline.smaller_machine):
        if warning:
            click.echo(f"  warning: {warning}")
    if headline.commit:
        click.echo(f"  committed as {headline.commit[:10]} on the best branch")
    click.echo("")


def _print_cost(state: RunState) -> None:
    """The run's tokens and dollars by role and by iteration; nothing when none was spent
    (the scripted agent makes no model calls)."""
    if not state.total_cost.spent:
        return
    click.echo("\nthe run's cost by role:")
    click.echo(
        f"  {'ROLE':<9} {'INPUT':>12} {'OUTPUT':>12} {'CACHE READ':>12} {'CACHE WRITE':>12} "
        f"{'DOLLARS':>10}"
    )
    rows = [
        (role, state.cost[role]) for role in ROLES if role in state.cost and state.cost[role].spent
    ]
    for name, cost in [*rows, ("total", state.total_cost)]:
        click.echo(
            f"  {name:<9} {cost.input_tokens:>12,} {cost.output_tokens:>12,} "
            f"{cost.cache_read_tokens:>12,} {cost.cache_write_tokens:>12,} "
            f"{cost.dollars_words:>10}"
        )
    if state.total_cost.estimated:
        click.echo("  (≈: dollars estimated at API prices; a subscription is not billed per token)")
    click.echo("the run's cost by iteration:")
    click.echo(f"  {'ITER':>4} {'TOKENS':>12} {'DOLLARS':>10}  BY ROLE")
    for number in sorted(state.cost_by_iteration):
        cost = state.cost_by_iteration[number]
        roles = state.cost_by_iteration_role.get(number, {})
        by_role = ", ".join(
            f"{role} {roles[role].dollars_words}"
            for role in ROLES
            if role in roles and roles[role].spent
        )
        click.echo(f"  {number:>4} {cost.tokens:>12,} {cost.dollars_words:>10}  {by_role or '-'}")


def _record(ws: Workspace, commit: str, number: int) -> IterationRecord | None:
    """Iteration ``number``'s committed record; ``None`` when it is missing or damaged."""
    if not commit:
        return None
    text = gitrepo.show_file(ws, commit, f"results/iteration-{number}.json")
    try:
        return IterationRecord.model_validate_json(text) if text else None
    except ValueError:
        return None
