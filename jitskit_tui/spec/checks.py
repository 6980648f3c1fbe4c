"""Checks that span sections of a spec card, each naming the key it is about."""

from __future__ import annotations

from dataclasses import dataclass

from jitskit_tui.spec.model import OPERATION_FOR, SpecCard
from jitskit_tui.spec.units import format_bytes

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class CrossIssue:
    path: Path
    message: str


def cross_checks(card: SpecCard) -> list[CrossIssue]:
    """Returns every cross-field problem of a card whose fields are each valid."""
    issues: list[CrossIssue] = []
    req, env, wl = card.requirement, card.environment, card.workload

    if wl.preset is None and wl.mix is None:
        issues.append(CrossIssue(("workload",), "give either `preset` (A to F) or a custom `mix`"))
    elif wl.preset is not None and wl.mix is not None:
        issues.append(
            CrossIssue(("workload", "mix"), "`preset` and `mix` are exclusive; keep one of them")
        )
    elif wl.mix is not None and wl.distribution is None:
        issues.append(
            CrossIssue(("workload",), "a custom mix needs a `distribution` (e.g. zipfian)")
        )
    if wl.operation_count is None and wl.duration is None:
        issues.append(
            CrossIssue(("workload",), "bound the run phase: give `operation_count` or `duration`")
        )

    if wl.preset is not None or wl.mix is not None:
        mix_key = "mix" if wl.mix is not None else "preset"
        for op, fraction in wl.effective_mix().items():
            needed = OPERATION_FOR[op]
            if fraction > 0 and needed not in req.operations:
                issues.append(
                    CrossIssue(
                        ("requirement", "operations"),
                        f"the workload's {mix_key} has {op.replace('_', '-')} operations, "
                        f"so `{needed}` must be among the operations",
                    )
                )

    if req.durability == "none" and env.data_dir is not None:
        issues.append(
            CrossIssue(
                ("environment", "data_dir"),
                "durability `none` keeps nothing on disk and needs no data directory; "
                "remove `data_dir` or raise the durability",
            )
        )
    if req.durability != "none" and env.data_dir is None:
        issues.append(
            CrossIssue(
                ("environment",),
                f"durability `{req.durability}` needs a `data_dir` (medium and size)",
            )
        )
    if (
        req.durability == "power_loss"
        and env.data_dir is not None
        and env.data_dir.medium == "tmpfs"
    ):
        issues.append(
            CrossIssue(
                ("environment", "data_dir", "medium"),
                "tmpfs does not survive power loss; use `disk` for durability `power_loss`",
            )
        )

    if wl.threads > 2 * env.cpus:
        issues.append(
            CrossIssue(
                ("workload", "threads"),
                f"{wl.threads} threads on {env.cpus} CPUs: at most twice the CPUs "
                f"({2 * env.cpus}); raise `environment.cpus` or lower `threads`",
            )
        )
    cpu_list = env.cpu_list
    if cpu_list is not None and len(cpu_list) != env.cpus:
        issues.append(
            CrossIssue(
                ("environment", "cpuset"),
                f"cpuset {env.cpuset!r} names {len(cpu_list)} CPUs but `cpus` is {env.cpus}",
            )
        )
    if env.store_memory_budget >= env.memory_limit:
        issues.append(
            CrossIssue(
                ("environment", "store_memory_budget"),
                f"the store's budget ({format_bytes(env.store_memory_budget)}) must be below "
                f"the memory limit ({format_bytes(env.memory_limit)}), which also holds the "
                "harness and its traces",
            )
        )
    if card.loop.audit_every > card.loop.iterations:
        issues.append(
            CrossIssue(
                ("loop", "audit_every"),
                f"audit every {card.loop.audit_every} iterations, but the loop runs only "
                f"{card.loop.iterations}; the auditor would never run",
            )
        )
    return issues
