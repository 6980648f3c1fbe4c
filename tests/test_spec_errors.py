"""A broken spec card gets one error per problem, at the line and column of the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from jitskit_tui.spec import SpecError, load_spec, load_spec_text
from jitskit_tui.spec.presets import PRESETS

VALID = """\
name: t
requirement:
  operations: [read, upsert]
  durability: none
environment:
  cpus: 2
  memory_limit: 1GiB
  store_memory_budget: 256MiB
workload:
  preset: A
  record_count: 10k
  operation_count: 1M
  value_size: 64
  threads: 2
"""

WriteCard = Callable[..., Path]


def errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, file="card.yaml")
    return [(i.line, i.column, i.message) for i in caught.value.issues]


def only_error(text: str) -> tuple[int, int, str]:
    found = errors(text)
    assert len(found) == 1, found
    return found[0]


def test_valid_card_loads() -> None:
    spec = load_spec_text(VALID)
    assert spec.workload.effective_mix() == {"read": 0.5, "update": 0.5}


def test_unknown_key_points_at_the_key_and_suggests_the_spelling() -> None:
    line, col, msg = only_error(VALID.replace("  threads: 2", "  thredas: 2\n  threads: 2"))
    assert (line, col) == (14, 3)
    assert "unknown key `thredas`" in msg and "did you mean `threads`" in msg


def test_missing_key_points_at_the_mapping_that_should_hold_it() -> None:
    line, col, msg = only_error(VALID.replace("  durability: none\n", ""))
    assert (line, col) == (2, 1)
    assert "missing key `durability` in `requirement`" in msg


def test_missing_section_points_at_the_top() -> None:
    text = VALID.split("environment:")[0] + "workload:" + VALID.split("workload:")[1]
    line, col, msg = only_error(text)
    assert (line, col) == (1, 1) and "`environment`" in msg


def test_bad_value_points_at_its_key() -> None:
    line, col, msg = only_error(VALID.replace("durability: none", "durability: sometimes"))
    assert (line, col) == (4, 3)
    assert "process_crash" in msg


def test_error_inside_a_tagged_distribution_names_the_nested_key() -> None:
    text = VALID + "  distribution: {kind: zipfian, constant: 1.5}\n"
    line, col, msg = only_error(text)
    assert (line, col) == (15, 33)
    assert "`workload.distribution.constant`" in msg


def test_unknown_distribution_kind_is_reported() -> None:
    line, _, msg = only_error(VALID + "  distribution: zipfan\n")
    assert line == 15 and "zipfan" in msg


def test_several_errors_are_all_reported_in_file_order() -> None:
    text = VALID.replace("cpus: 2", "cpus: zero").replace("value_size: 64", "value_size: 8")
    found = errors(text)
    assert [line for line, _, _ in found] == [6, 13]


def test_yaml_syntax_error_points_where_the_parser_stopped() -> None:
    line, col, msg = only_error("name: t\nrequirement: [read, upsert\nenvironment: {}\n")
    assert msg.startswith("YAML syntax error")
    assert (line, col) == (3, 12)


def test_tab_indentation_is_a_syntax_error_with_position() -> None:
    line, _, msg = only_error("name: t\nrequirement:\n\toperations: [read]\n")
    assert "YAML" in msg and line == 3


def test_duplicate_keys_are_rejected() -> None:
    line, col, msg = only_error(VALID.replace("  threads: 2", "  threads: 2\n  threads: 4"))
    assert (line, col) == (15, 3) and "duplicate key 'threads' (first at line 14)" in msg


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty card"),
        (b"# only a comment\n", "empty card"),
        (b"- a\n- b\n", "found a list"),
        (b"just a string\n", "found a string"),
        (b"42\n", "found a number"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary content"),
        (b"name: caf\xe9\n", "not UTF-8"),
    ],
)
def test_files_that_are_not_cards_get_one_clear_error(
    write_card: WriteCard, content: bytes, expected: str
) -> None:
    path = write_card("")
    path.write_bytes(content)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert len(caught.value.issues) == 1
    assert expected in caught.value.issues[0].message


def test_binary_error_points_at_the_first_bad_byte(write_card: WriteCard) -> None:
    path = write_card("")
    path.write_bytes(b"name: t\nrequirement: \x00\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert (caught.value.issues[0].line, caught.value.issues[0].column) == (2, 14)


def test_a_directory_is_not_a_card(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    assert "is a directory" in str(caught.value)


def test_alias_bomb_is_refused_quickly() -> None:
    bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        bomb.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    _, _, msg = only_error("\n".join(bomb) + "\n")
    assert "too many values" in msg


def test_deep_nesting_is_refused() -> None:
    _, _, msg = only_error("a: " + "[" * 500 + "]" * 500 + "\n")
    assert "nested too deeply" in msg


# Cross-field checks: each names the key to change.


def test_scan_workload_requires_scan_operation() -> None:
    line, col, msg = only_error(VALID.replace("preset: A", "preset: E"))
    assert (line, col) == (3, 3) and "`scan` must be among the operations" in msg


def test_durability_none_needs_no_data_dir() -> None:
    text = VALID.replace(
        "  store_memory_budget: 256MiB\n",
        "  store_memory_budget: 256MiB\n  data_dir: {medium: disk, size: 1GiB}\n",
    )
    line, _, msg = only_error(text)
    assert line == 9 and "needs no data directory" in msg


def test_durable_card_needs_a_data_dir() -> None:
    _, _, msg = only_error(VALID.replace("durability: none", "durability: process_crash"))
    assert "needs a `data_dir`" in msg


def test_power_loss_on_tmpfs_is_refused() -> None:
    text = VALID.replace("durability: none", "durability: power_loss").replace(
        "  store_memory_budget: 256MiB\n",
        "  store_memory_budget: 256MiB\n  data_dir: {medium: tmpfs, size: 1GiB}\n",
    )
    _, _, msg = only_error(text)
    assert "tmpfs does not survive power loss" in msg


def test_value_size_minimum_is_stated() -> None:
    line, _, msg = only_error(VALID.replace("value_size: 64", "value_size: 31"))
    assert line == 13 and "at least 32 bytes" in msg


def test_threads_at_most_twice_the_cpus() -> None:
    line, _, msg = only_error(VALID.replace("threads: 2", "threads: 5"))
    assert line == 14 and "at most twice the CPUs (4)" in msg


def test_memory_budget_must_be_below_the_limit() -> None:
    line, _, msg = only_error(VALID.replace("256MiB", "1GiB"))
    assert line == 8 and "must be below the memory limit" in msg


def test_custom_mix_must_sum_to_one() -> None:
    custom = "  mix: {read: 0.5, update: 0.4}\n  distribution: uniform\n"
    text = VALID.replace("  preset: A\n", custom)
    line, _, msg = only_error(text)
    assert line == 10 and "sums to 0.9" in msg


def test_preset_and_mix_are_exclusive() -> None:
    text = VALID.replace("  preset: A\n", "  preset: A\n  mix: {read: 1.0}\n")
    _, _, msg = only_error(text)
    assert "exclusive" in msg


def test_cpuset_must_match_cpu_count() -> None:
    _, _, msg = only_error(VALID.replace("  cpus: 2\n", "  cpus: 2\n  cpuset: 0-3\n"))
    assert "names 4 CPUs" in msg


def test_compiler_flags_cannot_reach_the_harness_build() -> None:
    text = VALID.replace(
        "  store_memory_budget: 256MiB\n",
        '  store_memory_budget: 256MiB\n  compiler: {flags: [-O2, "-Wl,--wrap=malloc"]}\n',
    )
    _, _, msg = only_error(text)
    assert "would change how the harness is built" in msg


def test_run_phase_must_be_bounded() -> None:
    _, _, msg = only_error(VALID.replace("  operation_count: 1M\n", ""))
    assert "`operation_count` or `duration`" in msg


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_carry_ycsb_values(preset: str) -> None:
    ops = "[read, upsert, scan, read_modify_write]"
    spec = load_spec_text(
        VALID.replace("preset: A", f"preset: {preset}").replace("[read, upsert]", ops)
    )
    mix = spec.workload.effective_mix()
    assert abs(sum(mix.values()) - 1.0) < 1e-9
    dist = spec.workload.effective_distribution()
    assert dist.kind == ("latest" if preset == "D" else "zipfian")
    assert getattr(dist, "constant", None) == 0.99
    expected = {
        "A": {"read": 0.5, "update": 0.5},
        "B": {"read": 0.95, "update": 0.05},
        "C": {"read": 1.0},
        "D": {"read": 0.95, "insert": 0.05},
        "E": {"scan": 0.95, "insert": 0.05},
        "F": {"read": 0.5, "read_modify_write": 0.5},
    }[preset]
    assert mix == expected
    if preset == "E":
        assert (spec.workload.scan_length.min, spec.workload.scan_length.max) == (1, 100)


def test_units_are_understood() -> None:
    spec = load_spec_text(VALID + "  duration: 1m30s\n")
    assert spec.environment.memory_limit == 1 << 30
    assert spec.environment.store_memory_budget == 256 << 20
    assert spec.workload.record_count == 10_000
    assert spec.workload.operation_count == 1_000_000
    assert spec.workload.duration == 90.0


@pytest.mark.parametrize("bad", ["lots", "-5MiB", "1.5", "yes"])
def test_bad_sizes_name_the_expected_form(bad: str) -> None:
    _, _, msg = only_error(VALID.replace("memory_limit: 1GiB", f"memory_limit: {bad}"))
    assert "memory_limit" in msg


def test_an_agent_no_backend_has_is_refused_naming_the_ones_there_are() -> None:
    line, col, msg = only_error(VALID + "loop:\n  agent: claude-kode\n")
    assert (line, col) == (16, 3)
    assert "`loop.agent`" in msg and "'claude-code'" in msg


def test_trials_min_effect_and_floor_rate_default_to_the_documented_values() -> None:
    loop = load_spec_text(VALID).loop
    assert (loop.trials.min, loop.trials.max) == (5, 12)
    assert loop.trials.target == 0.05 and loop.trials.max_seconds == 45.0
    assert loop.min_effect == 0.02 and loop.floor_rate == 1000


def test_trials_take_percentages_durations_and_counts() -> None:
    spec = load_spec_text(
        VALID
        + "loop:\n  trials: {min: 3, max: 3, target: 2.5%, max_seconds: 2m}\n"
        + "  min_effect: 1%\n  floor_rate: 5k\n"
    )
    trials = spec.loop.trials
    assert (trials.min, trials.max, trials.target, trials.max_seconds) == (3, 3, 0.025, 120.0)
    assert spec.loop.min_effect == 0.01 and spec.loop.floor_rate == 5000


def test_trials_max_below_min_says_how_to_pin_them() -> None:
    line, _, msg = only_error(VALID + "loop:\n  trials: {min: 6, max: 4}\n")
    assert line == 16
    assert "max (4) is below min (6)" in msg and "pin both" in msg


def test_one_trial_gives_no_interval_so_min_is_at_least_two() -> None:
    _, _, msg = only_error(VALID + "loop:\n  trials: {min: 1, max: 3}\n")
    assert "`loop.trials.min`" in msg and "greater than or equal to 2" in msg


@pytest.mark.parametrize("bad", ["5", "150%", "five", "0%"])
def test_a_share_that_is_not_a_percentage_is_refused(bad: str) -> None:
    _, _, msg = only_error(VALID + f"loop:\n  min_effect: {bad}\n")
    assert "min_effect" in msg and "%" in msg


def test_a_trial_longer_than_a_minute_is_refused_naming_what_duration_means() -> None:
    _, _, msg = only_error(VALID + "loop:\n  quick: {duration: 90s}\n")
    assert "loop.quick.duration" in msg and "one trial" in msg and "60s" in msg
