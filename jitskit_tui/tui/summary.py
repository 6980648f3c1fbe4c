"""A spec card as a short, readable panel: what it serves, guarantees, budget and loop."""

from __future__ import annotations

import textwrap

from textual.content import Content

from jitskit_tui.spec import SpecCard
from jitskit_tui.spec.model import TRIAL_SECONDS, Hotspot, Latest, Uniform, Zipfian
from jitskit_tui.spec.units import format_bytes, format_count, format_duration

BAR_CELLS = 16
VALUE_CELLS = 24
_EIGHTHS = " ▏▎▍▌▋▊▉"
_LABEL = 11

_OP_LABEL = {
    "read": "read",
    "update": "update",
    "insert": "insert",
    "scan": "scan",
    "read_modify_write": "rmw",
    "delete": "delete",
}

_DURABILITY = {
    "none": ("none", "nothing has to survive a crash"),
    "process_crash": ("process crash", "acknowledged writes survive kill -9"),
    "power_loss": ("power loss", "acknowledged writes are synced first"),
}


def bar(fraction: float, cells: int = BAR_CELLS) -> str:
    """A horizontal bar in eighth-cell steps, padded to ``cells``."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * cells * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(cells)


def _row(label: str, value: str) -> Content:
    """``label      value``; a long value wraps under itself, not under the label."""
    lines = textwrap.wrap(value, VALUE_CELLS, break_on_hyphens=False) or [""]
    return Content.from_markup(
        "[$text-muted]$label[/] $value",
        label=label.ljust(_LABEL),
        value=("\n" + " " * (_LABEL + 1)).join(lines),
    )


def _heading(title: str, detail: str = "") -> Content:
    if detail:
        return Content.from_markup("[b $accent]$title[/]  $detail", title=title, detail=detail)
    return Content.from_markup("[b $accent]$title[/]", title=title)


def _bar_row(label: str, fraction: float, note: str) -> Content:
    return Content.from_markup(
        "[$text-muted]$label[/] [$primary]$bar[/] $note",
        label=label.ljust(_LABEL),
        bar=bar(fraction),
        note=note,
    )


def distribution_text(spec: SpecCard) -> str:
    dist = spec.workload.effective_distribution()
    match dist:
        case Zipfian():
            return f"zipfian {dist.constant:g}"
        case Latest():
            return f"latest {dist.constant:g}"
        case Hotspot():
            return f"hotspot: {dist.op_fraction:.0%} of ops on {dist.data_fraction:.0%} of keys"
        case Uniform():
            return "uniform"


def card_summary(spec: SpecCard) -> Content:
    """The whole summary in one column."""
    workload, rest = card_summary_parts(spec)
    return Content("\n\n").join([workload, rest])


def card_summary_parts(spec: SpecCard) -> tuple[Content, Content]:
    """What the card serves (name, description, workload), and what it demands
    (guarantees, memory, machine, loop). Every line fits in 40 cells."""
    wl, env, req, loop = spec.workload, spec.environment, spec.requirement, spec.loop
    lines: list[Content] = [Content.from_markup("[b]$name[/]", name=spec.name)]
    if spec.description.strip():
        text = textwrap.shorten(" ".join(spec.description.split()), 90, placeholder=" …")
        lines.append(Content.from_markup("[$text-muted]$text[/]", text=text))

    workload = f"YCSB-{wl.preset}" if wl.preset and wl.mix is None else "custom mix"
    lines += [Content(""), _heading("Workload", workload)]
    for op, fraction in wl.effective_mix().items():
        lines.append(_bar_row(_OP_LABEL.get(op, op), fraction, f"{fraction:>4.0%}"))
    lines.append(_row("keys", distribution_text(spec)))
    if "scan" in wl.effective_mix():
        length = wl.scan_length
        lines.append(_row("scans", f"{length.min}-{length.max} keys, {length.distribution}"))
    lines.append(_row("records", format_count(wl.record_count)))
    run = []
    if wl.operation_count is not None:
        run.append(f"{format_count(wl.operation_count)} ops")
    if wl.duration is not None:
        run.append(("at most " if run else "for ") + format_duration(wl.duration))
    lines.append(_row("run", ", ".join(run)))
    lines.append(_row("values", f"{wl.value_size} B"))
    cpus = f"CPUs {env.cpuset}" if env.cpuset else f"{env.cpus} CPUs"
    lines.append(_row("threads", f"{wl.threads} on {cpus}"))

    workload_part = Content("\n").join(lines)

    level, meaning = _DURABILITY[req.durability]
    lines = [_heading("Guarantees")]
    lines.append(_row("durability", level))
    lines.append(_row("", meaning).stylize("$text-muted"))
    ops = ", ".join(_OP_LABEL.get(op, op) for op in req.operations)
    lines.append(_row("operations", ops))
    if env.data_dir is not None:
        lines.append(_row("data dir", f"{env.data_dir.medium}, {format_bytes(env.data_dir.size)}"))

    share = env.store_memory_budget / env.memory_limit
    lines += [Content(""), _heading("Memory")]
    lines.append(
        _row(
            "budget",
            f"{format_bytes(env.store_memory_budget)} of {format_bytes(env.memory_limit)} limit",
        )
    )
    lines.append(_bar_row("", share, f"{share:>4.0%}"))

    compiler = " ".join([env.compiler.cxx, *env.compiler.flags])
    lines += [Content(""), _heading("Machine", env.machine)]
    lines.append(_row("compiler", compiler))
    if env.compiler.allowed_extra_flags:
        lines.append(_row("may add", " ".join(env.compiler.allowed_extra_flags)))
    if env.libraries:
        lines.append(_row("libraries", ", ".join(env.libraries)))

    lines += [Content(""), _heading("Loop", f"{loop.iterations} iterations")]
    lines.append(_row("audit", f"every {loop.audit_every} iterations"))
    budget = loop.budget
    caps = []
    if budget.dollars is not None:
        caps.append(f"${budget.dollars:g}")
    if budget.tokens is not None:
        caps.append(f"{format_count(budget.tokens)} tokens")
    if budget.wall_time is not None:
        caps.append(format_duration(budget.wall_time))
    lines.append(_row("budget", ", ".join(caps) if caps else "no cap"))
    quick = []
    if loop.quick.record_count is not None:
        quick.append(f"{format_count(loop.quick.record_count)} records")
    if loop.quick.operation_count is not None:
        quick.append(f"{format_count(loop.quick.operation_count)} ops")
    quick.append(f"{format_duration(loop.quick.duration or TRIAL_SECONDS['quick'])} trials")
    trials = loop.trials
    rounds = str(trials.min) if trials.min == trials.max else f"{trials.min} to {trials.max}"
    quick.append(f"{rounds} rounds")
    lines.append(_row("quick eval", ", ".join(quick)))
    return workload_part, Content("\n").join(lines)
