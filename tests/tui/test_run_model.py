"""What the dashboard folds events into, without a screen: the transcript's blocks, the
gate matrix, downsampled series, parsed diffs, and a fold that never raises."""

from __future__ import annotations

from recording import RECORDED, STEER_PLAN, STEER_TOOL

from jitskit_tui.engine.eventlog import read_events
from jitskit_tui.protocol.events import (
    AgentText,
    AgentTurnStarted,
    IterationStarted,
    LogCorrupt,
    SteeringEdited,
    SteeringEditRefused,
    ToolCallFinished,
    ToolCallStarted,
)
from jitskit_tui.protocol.texts import ratio_text
from jitskit_tui.tui.run.diffs import parse_unified, side_by_side
from jitskit_tui.tui.run.formatting import DASH, change_text, compact, elapsed_text, reflow
from jitskit_tui.tui.run.model import RunView
from jitskit_tui.tui.run.series import Series, downsample
from jitskit_tui.tui.run.transcript import Transcript


def recorded_view() -> RunView:
    view = RunView()
    for event in read_events(RECORDED / "events.jsonl"):
        view.apply(event)
    return view


def test_text_deltas_grow_one_block_per_turn() -> None:
    transcript = Transcript()
    transcript.apply(AgentTurnStarted(role="planner", agent="scripted", iteration=1))
    for word in ("Start ", "from ", "something ", "correct."):
        transcript.apply(AgentText(role="planner", text=word, iteration=1))
    kinds = [b.kind for b in transcript.blocks]
    assert kinds == ["turn", "text"]
    assert transcript.blocks[1].text == "Start from something correct."


def test_a_tool_call_is_one_collapsed_block_with_its_result() -> None:
    transcript = Transcript()
    transcript.apply(
        ToolCallStarted(call_id="c1", role="coder", name="write_file", input={"path": "store/a.cc"})
    )
    block = transcript.blocks[0]
    assert block.collapsed and block.ok is None and block.title == "write_file store/a.cc"
    transcript.apply(
        ToolCallFinished(call_id="c1", role="coder", name="write_file", ok=True, output="created")
    )
    assert len(transcript.blocks) == 1 and block.ok is True and "created" in block.detail


def test_the_transcript_keeps_a_bounded_number_of_blocks() -> None:
    transcript = Transcript(max_blocks=100)
    for n in range(1, 400):
        transcript.apply(IterationStarted(iteration=n, parent_iteration=0, step=n, branch="main"))
    assert len(transcript) == 100 and transcript.dropped == 299
    assert transcript.blocks[-1].title.startswith("iteration 399")


def test_the_recorded_run_folds_into_iterations_gates_and_steering() -> None:
    view = recorded_view()
    assert [it.verdict for it in view.iterations()] == ["pass", "pass", "fail"]
    assert view.state.best_iteration in (1, 2)
    assert view.gate_names()[:2] == ["build", "integrity"]
    assert "audit/rmw-adds-up" in view.gate_names()
    assert view.gates["build"][3].passed is False
    assert view.audit_info("audit/rmw-adds-up") is not None
    applied = [b.title for b in view.transcript.blocks if b.kind == "steering"]
    assert any("handed to the planner" in t for t in applied)
    assert any("handed to the coder" in t for t in applied)
    texts = " ".join(b.text for b in view.transcript.blocks if b.kind == "text")
    assert STEER_PLAN[:30] in texts and STEER_TOOL[:30] in texts
    assert len(view.state.proposals) == 1
    assert view.fold_problems == 0


def test_a_malformed_event_is_noted_not_raised() -> None:
    view = RunView()
    view.apply(LogCorrupt(line=3, excerpt="{not json", reason="not valid JSON"))
    # Valid JSON for the schema but impossible for the fold: no iteration number.
    view.apply(IterationStarted(parent_iteration=0, step=1, branch="main"))
    titles = [b.title for b in view.transcript.blocks]
    assert any("line 3 unreadable" in t for t in titles)
    assert any("could not be applied" in t for t in titles)
    assert view.fold_problems == 1


def test_downsampling_keeps_each_buckets_extremes() -> None:
    xs = [float(i) for i in range(10_000)]
    ys = [1.0] * 10_000
    ys[1234], ys[8765] = 99.0, -5.0
    out_x, out_y = downsample(xs, ys, 50)
    assert len(out_x) <= 100
    assert 99.0 in out_y and -5.0 in out_y
    assert out_x == sorted(out_x)


def test_a_series_stays_bounded() -> None:
    series = Series(max_points=1000)
    for i in range(50_000):
        series.append(float(i), float(i % 97))
    assert len(series) <= 1000 and series.total == 50_000
    assert max(series.ys) == 96.0


DIFF = """\
diff --git a/store/s.cc b/store/s.cc
index 1..2 100644
--- a/store/s.cc
+++ b/store/s.cc
@@ -1,4 +1,5 @@
 int a;
-int b;
-int c;
+int b2;
+int c2;
+int d2;
 int e;
diff --git a/NEW.md b/NEW.md
new file mode 100644
--- /dev/null
+++ b/NEW.md
@@ -0,0 +1 @@
+hello
"""


def test_a_unified_diff_parses_into_files_hunks_and_numbered_lines() -> None:
    parsed = parse_unified(DIFF)
    assert [(f.path, f.status, f.added, f.removed) for f in parsed.files] == [
        ("store/s.cc", "modified", 3, 2),
        ("NEW.md", "added", 1, 0),
    ]
    adds = [r for r in parsed.rows if r.kind == "add"]
    assert [r.new_no for r in adds[:3]] == [2, 3, 4]
    assert parsed.rows[parsed.files[0].hunk_rows[0]].kind == "hunk"


PLAIN_DIFF = """\
--- a/harness/durability.cc\t2026-11-24 10:00:00
+++ b/harness/durability.cc\t2026-11-24 10:05:00
@@ -1 +1 @@
--- a removed line that looks like a header
+++ an added line that looks like one
--- /dev/null
+++ b/harness/verify.cc
@@ -0,0 +1,2 @@
+// verify in a fresh process
+int verify();
"""


def test_a_plain_unified_diff_as_a_model_writes_it_parses_too() -> None:
    # A proposal's diff comes from the model, usually without `diff --git` lines.
    parsed = parse_unified(PLAIN_DIFF)
    assert [(f.path, f.status, f.added, f.removed) for f in parsed.files] == [
        ("harness/durability.cc", "modified", 1, 1),
        ("harness/verify.cc", "added", 2, 0),
    ]
    removed = [r.text for r in parsed.rows if r.kind == "del"]
    assert removed == ["-- a removed line that looks like a header"]


def test_side_by_side_pairs_removed_with_added_lines() -> None:
    rows = side_by_side(parse_unified(DIFF))
    pairs = [(r.left.text if r.left else None, r.right.text if r.right else None) for r in rows]
    assert ("int b;", "int b2;") in pairs and ("int c;", "int c2;") in pairs
    assert (None, "int d2;") in pairs


def test_figures_read_as_people_write_them() -> None:
    assert compact(1_565_258) == "1.57M" and compact(98_765) == "98.8k"
    assert ratio_text(1.234) == "1.23x" and ratio_text(None, DASH) == "—"
    assert change_text(110, 100) == "+10.0%" and change_text(90, 100) == "-10.0%"
    assert elapsed_text(151) == "2:31" and elapsed_text(3751) == "1:02:31"


def test_a_long_stream_goes_on_in_new_blocks_at_line_breaks() -> None:
    transcript = Transcript()
    transcript.apply(AgentTurnStarted(role="coder", agent="scripted", iteration=1))
    for i in range(2000):
        end = "\n" if i % 10 == 9 else " "
        transcript.apply(AgentText(role="coder", text=f"word{i}{end}", iteration=1))
    texts = [b for b in transcript.blocks if b.kind == "text"]
    assert len(texts) > 5
    assert all(b.size < 2000 for b in texts)
    assert "".join(b.text for b in texts).count("word") == 2000
    assert all(b.text.endswith("\n") for b in texts[:-1])


def test_a_stream_without_line_breaks_is_still_cut_into_blocks() -> None:
    transcript = Transcript()
    for i in range(3000):
        transcript.apply(AgentText(role="planner", text=f" w{i}", iteration=1))
    texts = [b for b in transcript.blocks if b.kind == "text"]
    assert len(texts) >= 2 and max(b.size for b in texts) < 7000


def test_hard_wrapped_paragraphs_are_joined_lists_and_code_kept() -> None:
    text = (
        "Sharding removes contention between\nindependent keys, not hot ones.\n\n"
        "- first item that wraps\n  onto a second line\n- second item\n\n"
        "```\nint a;\nint b;\n```\n# Heading\nNext paragraph."
    )
    assert reflow(text).split("\n") == [
        "Sharding removes contention between independent keys, not hot ones.",
        "",
        "- first item that wraps onto a second line",
        "- second item",
        "",
        "```",
        "int a;",
        "int b;",
        "```",
        "# Heading",
        "Next paragraph.",
    ]


def test_an_edited_steer_and_a_refused_edit_both_show_the_users_words() -> None:
    transcript = Transcript()
    transcript.apply(
        SteeringEdited(
            iteration=2,
            steering_id="s1",
            text="Use a seqlock per bucket",
            delivery="next-tool",
            source="tui",
        )
    )
    transcript.apply(
        SteeringEditRefused(
            iteration=2,
            steering_id="s2",
            text="Drop the global lock",
            delivery="next-iteration",
            source="tui",
            was="applied",
            applied_to="coder",
            applied_iteration=2,
        )
    )
    titles = [b.title for b in transcript.blocks]
    assert any("s1 edited" in t and "Use a seqlock per bucket" in t for t in titles)
    assert any("too late" in t and "Drop the global lock" in t for t in titles)
