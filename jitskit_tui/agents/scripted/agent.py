"""The offline scripted agent: replays a trajectory through the real tools.

It writes every store file through the coder's tools, so the loop builds, gates and
benchmarks real code; its critic and auditor fill their texts with the numbers the
harness measured. Steering is acknowledged in its transcript (it cannot change a script,
and says so honestly).
"""

from __future__ import annotations

from jitskit_tui.agents.scripted.fill import fill, values_for
from jitskit_tui.agents.scripted.pace import Pace
from jitskit_tui.agents.scripted.trajectory import CoderAction, Step, Trajectory
from jitskit_tui.protocol.agent import (
    Agent,
    AgentSink,
    AuditContext,
    AuditOutcome,
    CodeContext,
    CodeOutcome,
    Critique,
    CritiqueContext,
    Plan,
    PlanContext,
)
from jitskit_tui.protocol.tools import Steering, ToolResult, Tools


def _quote(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ScriptedAgent(Agent):
    name = "scripted"

    def __init__(self, trajectory: Trajectory, pace: Pace) -> None:
        self.trajectory = trajectory
        self.pace = pace

    # -- planner ------------------------------------------------------------------------

    async def plan(self, ctx: PlanContext, sink: AgentSink) -> Plan:
        brief = ctx.brief
        for note in ctx.steering:
            await self.pace.stream(
                f"Steering from you: “{_quote(note.text)}”. I am a scripted replay, so I cannot "
                "redesign around it, but it is on the whiteboard with this plan and I will "
                "point out where it bears on the result.\n\n",
                sink,
            )
        if brief.step == 1 and self.trajectory.spec != brief.spec.name:
            await self.pace.stream(
                f"Note: this scripted trajectory was written for the `{self.trajectory.spec}` "
                f"card; this run's card is `{brief.spec.name}`, so the numbers may differ from "
                "what the script expects.\n\n",
                sink,
            )
        step = self.trajectory.step(brief.step)
        if step is None:
            text = (
                f"The scripted trajectory has {len(self.trajectory.steps)} steps and this is "
                f"step {brief.step}: there is nothing left to try. I keep the store as it is "
                "and measure it again, which also shows how much the figure varies from run "
                "to run.\n"
            )
            await self.pace.stream(text, sink)
            return Plan(title="re-measure the store unchanged", text=text)
        text = self.trajectory.text(step.plan)
        await self.pace.stream(text, sink)
        return Plan(title=step.title, text=text)

    # -- coder --------------------------------------------------------------------------

    async def code(self, ctx: CodeContext, tools: Tools, sink: AgentSink) -> CodeOutcome:
        step = self.trajectory.step(ctx.brief.step)
        summary: str | None = None
        for action in step.coder if step is not None else []:
            if action.say is not None:
                await self.pace.stream(action.say.rstrip() + "\n", sink)
                continue
            name, arguments = self._call_for(action)
            await self.pace.beat()
            result = await tools.call(name, arguments)
            await self._after_call(result, sink)
            if action.finish is not None:
                summary = action.finish
        if tools.finished is None:
            summary = summary or (step.title if step is not None else "store unchanged")
            await self.pace.beat()
            await self._after_call(await tools.call("finish", {"summary": summary}), sink)
        return CodeOutcome(summary=tools.finished or summary or "")

    def _call_for(self, action: CoderAction) -> tuple[str, dict[str, object]]:
        if action.write is not None:
            assert action.from_ is not None
            return "write_file", {
                "path": action.write,
                "content": self.trajectory.text(action.from_),
            }
        if action.edit is not None:
            return "edit_file", {"path": action.edit, "old": action.old, "new": action.new}
        if action.delete is not None:
            return "delete_file", {"path": action.delete}
        if action.read is not None:
            return "read_file", {"path": action.read}
        if action.build_and_test is not None:
            return "build_and_test", {}
        assert action.finish is not None
        return "finish", {"summary": action.finish}

    async def _after_call(self, result: ToolResult, sink: AgentSink) -> None:
        if not result.ok:
            await self.pace.stream(
                f"That did not work ({_quote(result.output, 200)}). Going on.\n", sink
            )
        for note in result.steering:
            await self._acknowledge(note, sink)

    async def _acknowledge(self, note: Steering, sink: AgentSink) -> None:
        await self.pace.stream(
            f"Steering received mid-step: “{_quote(note.text)}”. Noted; my remaining moves "
            "are scripted, so I will finish this step as planned and flag it for the critic.\n",
            sink,
        )

    # -- critic -------------------------------------------------------------------------

    async def critique(self, ctx: CritiqueContext, sink: AgentSink) -> Critique:
        step = self.trajectory.step(ctx.brief.step)
        values = values_for(ctx.record, ctx.previous, ctx.best)
        if step is None:
            template = (
                "Re-measured unchanged: {{throughput}} ({{change}} against the previous run of "
                "the same code), verdict {{verdict}}. The difference is run-to-run noise on "
                "this machine ({{machine}}).\n"
            )
        else:
            template = self.trajectory.text(self._critic_file(step, ctx.record.verdict))
        text = fill(template, values)
        await self.pace.stream(text, sink)
        return Critique(text=text)

    @staticmethod
    def _critic_file(step: Step, verdict: str) -> str:
        if isinstance(step.critic, str):
            return step.critic
        return step.critic.pass_ if verdict == "pass" else step.critic.fail

    # -- auditor ------------------------------------------------------------------------

    async def audit(self, ctx: AuditContext, tools: Tools, sink: AgentSink) -> AuditOutcome:
        existing = {test.id for test in ctx.suite.tests}
        latest = ctx.recent[-1] if ctx.recent else None
        previous = ctx.recent[-2] if len(ctx.recent) > 1 else None
        values = values_for(latest, previous, None) if latest is not None else {}
        reports: list[str] = []
        for step in self.trajectory.steps[: ctx.brief.step]:
            entry = step.audit
            if entry is None or all(test.id in existing for test in entry.tests):
                continue
            text = fill(self.trajectory.text(entry.text), values)
            await self.pace.stream(text.rstrip() + "\n", sink)
            reports.append(text)
            for test in entry.tests:
                if test.id in existing:
                    continue
                path = f"audit/{test.id}.cc"
                await self.pace.beat()
                wrote = await tools.call(
                    "write_file", {"path": path, "content": self.trajectory.text(test.file)}
                )
                await self._after_call(wrote, sink)
                added = await tools.call(
                    "add_audit_test",
                    {
                        "id": test.id,
                        "file": path,
                        "severity": test.severity,
                        "invariant": test.invariant,
                    },
                )
                await self._after_call(added, sink)
            for proposal in entry.proposals:
                await self.pace.beat()
                proposed = await tools.call(
                    "propose_harness_change",
                    {
                        "title": proposal.title,
                        "rationale": proposal.rationale,
                        "diff": self.trajectory.text(proposal.diff) if proposal.diff else "",
                    },
                )
                await self._after_call(proposed, sink)
        if not reports:
            names = ", ".join(sorted(existing)) or "none yet"
            text = (
                "I re-read store/ and the latest results looking for specialisation to the "
                "trace, skipped work and faked results, and found nothing new. Audit tests in "
                f"the suite: {names}.\n"
            )
            await self.pace.stream(text, sink)
            reports.append(text)
        await self._after_call(await tools.call("finish", {"summary": "audit done"}), sink)
        return AuditOutcome(report="\n".join(r.strip() for r in reports))
