"""What a model agent's stream adds to the log, as clients show it: a tool call as it forms
is a forming block in the transcript that the started call replaces (one that never
starts is marked "not run"), never a narrated line; a compaction is a transcript note
and one narrated line; the run's state folds both without a change."""

from __future__ import annotations

import json

from textual.app import App, ComposeResult

from jitskit_tui.engine.narrate import Narrator
from jitskit_tui.engine.state import RunState
from jitskit_tui.protocol.events import (
    AgentTurnFinished,
    AgentTurnStarted,
    ContextCompacted,
    Event,
    ToolCallFinished,
    ToolCallForming,
    ToolCallStarted,
    dump_event,
    parse_event,
)
from jitskit_tui.tui.run.tool_text import forming_detail, partial_input
from jitskit_tui.tui.run.transcript import Transcript
from jitskit_tui.tui.widgets.transcript_view import TranscriptView

ARGS = {"path": "store/a.cc", "content": 'int main() {\n  return "ok"[0];\n}\n'}
RAW = json.dumps(ARGS)


def _forming(call_id: str, delta: str, chars: int, name: str = "write_file") -> ToolCallForming:
    return ToolCallForming(
        iteration=1, call_id=call_id, role="coder", name=name, input_delta=delta, input_chars=chars
    )


def _started(call_id: str) -> ToolCallStarted:
    return ToolCallStarted(
        iteration=1, call_id=call_id, role="coder", name="write_file", input=dict(ARGS)
    )


def _fold(events: list[Event]) -> Transcript:
    transcript = Transcript()
    for event in events:
        transcript.apply(event)
    return transcript


def test_a_forming_call_grows_in_place_and_the_started_call_replaces_it() -> None:
    cut = RAW.index("return") + 3
    opening: list[Event] = [
        AgentTurnStarted(iteration=1, role="coder", agent="anthropic"),
        _forming("c1", "", 0),
        _forming("c1", RAW[:cut], cut),
    ]
    transcript = _fold(opening)
    block = transcript.blocks[-1]
    assert block.kind == "tool" and block.forming and block.ok is None
    assert block.title == "write_file store/a.cc" and block.size == cut
    assert "content: \nint main() {\n  ret" in forming_detail(block)

    for event in (_forming("c1", RAW[cut:], len(RAW)), _started("c1")):
        transcript.apply(event)
    assert [b for b in transcript.blocks if b.kind == "tool"] == [block]  # replaced in place
    assert not block.forming and block.title == "write_file store/a.cc"
    assert 'return "ok"[0];' in block.detail and block.size == 0
    transcript.apply(
        ToolCallFinished(
            iteration=1, call_id="c1", role="coder", name="write_file", ok=True, output="written"
        )
    )
    assert block.ok is True and "── result ──\nwritten" in block.detail


def test_a_call_that_never_starts_is_marked_not_run() -> None:
    transcript = _fold(
        [
            _forming("bad", "", 0),
            _forming("bad", '{"path": "store/b.cc", "content": ', 34),  # cut off
            _forming("good", "", 0),
            _forming("good", RAW, len(RAW)),
            _started("good"),
            _forming("late", "", 0),
            AgentTurnFinished(iteration=1, role="coder", ok=False, error="cancelled"),
        ]
    )
    bad, good, late = [b for b in transcript.blocks if b.kind == "tool"]
    assert bad.ok is False and "not run" in bad.title and "path: store/b.cc" in bad.detail
    assert good.ok is None and not good.forming  # it runs
    assert late.ok is False and "not run" in late.title and not late.forming


def test_partial_input_reads_the_strings_written_so_far() -> None:
    assert partial_input('{"path": "store/a.cc", "content": "x\\ny\\u00') == {
        "path": "store/a.cc",
        "content": "x\ny",
    }
    assert partial_input('{"path": "store/a', complete=True) == {}


def test_narration_and_state_take_both_events() -> None:
    compacted = ContextCompacted(
        iteration=7,
        role="planner",
        how="summary",
        turns_folded=12,
        tokens_before=96_000,
        tokens_after=31_500,
    )
    clipped = compacted.model_copy(update={"how": "clipped", "turns_folded": 0})
    narrator = Narrator()
    assert narrator.line(_forming("c1", RAW, len(RAW))) is None
    assert narrator.line(compacted) == (
        "  planner's context compacted: 12 older turns folded into a summary "
        "(~96,000 → ~31,500 tokens)"
    )
    assert "long old tool inputs and results cut" in (narrator.line(clipped) or "")
    state = RunState.from_events([_forming("c1", RAW, len(RAW)), compacted])
    assert state.last_seq == 0 and not state.iterations
    note = _fold([compacted]).blocks[-1]
    assert note.kind == "note" and "planner's context compacted: 12 older turns" in note.title
    # They survive the log's round trip.
    for event in (compacted, _forming("c1", RAW, len(RAW))):
        assert parse_event(dump_event(event)) == event


class _Shows(App[None]):
    def __init__(self, transcript: Transcript) -> None:
        super().__init__()
        self.transcript = transcript

    def compose(self) -> ComposeResult:
        yield TranscriptView(id="transcript")

    def on_mount(self) -> None:
        self.query_one(TranscriptView).show(self.transcript)


async def test_the_view_shows_a_forming_call_then_the_call() -> None:
    transcript = _fold([_forming("c1", "", 0), _forming("c1", RAW[:40], 40)])
    app = _Shows(transcript)
    async with app.run_test(size=(100, 10)) as pilot:
        view = app.query_one(TranscriptView)

        def lines() -> str:
            view.sync(force=True)
            return "\n".join(view.render_line(y).text for y in range(4))

        await pilot.pause()
        assert "▸ ✎ write_file store/a.cc · 40 characters so far" in lines()
        transcript.apply(_forming("c1", RAW[40:], len(RAW)))
        transcript.apply(_started("c1"))
        shown = lines()
        assert "▸ … write_file store/a.cc" in shown and "✎" not in shown
