"""The power-loss check reads a real strace log: ack without a covering sync fails."""

from __future__ import annotations

from jitskit_tui.harness.syscalls import check_sync_before_ack

SYNCED = """\
[pid  101] openat(AT_FDCWD, "/data/store/log", O_WRONLY|O_CREAT|O_APPEND, 0644) = 5</data/store/log>
[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  101] write(5</data/store/log>, "abc", 3) = 3
[pid  101] fdatasync(5</data/store/log>) = 0
[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)
"""

ACK_BEFORE_SYNC = """\
[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  101] write(5</data/store/log>, "abc", 3) = 3
[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  102] fdatasync(5</data/store/log>) = 0
"""

GROUP_COMMIT = """\
[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  101] write(5</data/store/log>, "abc", 3) = 3
[pid  102] fsync(5</data/store/log> <unfinished ...>
[pid  101] futex(0x7f, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>
[pid  102] <... fsync resumed>) = 0
[pid  101] <... futex resumed>) = 0
[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)
"""

STALE_BACKGROUND_SYNC = """\
[pid  102] fsync(5</data/store/log> <unfinished ...>
[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  101] write(5</data/store/log>, "abc", 3) = 3
[pid  102] <... fsync resumed>) = 0
[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)
"""

O_DSYNC = """\
[pid  101] openat(AT_FDCWD, "/data/store/log", O_WRONLY|O_CREAT|O_DSYNC, 0644) = 5</data/store/log>
[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  101] pwrite64(5</data/store/log>, "abc", 3, 0) = 3
[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)
"""

SYNC_OF_ANOTHER_FILE = """\
[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)
[pid  101] write(5</data/store/log>, "abc", 3) = 3
[pid  101] fsync(7</tmp/decoy>) = 0
[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)
"""


def test_sync_between_write_and_ack_passes() -> None:
    check = check_sync_before_ack(SYNCED, "/data/store")
    assert check.passed and check.acknowledged == 1


def test_ack_before_sync_fails_naming_the_write() -> None:
    check = check_sync_before_ack(ACK_BEFORE_SYNC, "/data/store")
    assert not check.passed
    assert check.uncovered == ["thread 0 write #1"]


def test_group_commit_by_another_thread_counts() -> None:
    assert check_sync_before_ack(GROUP_COMMIT, "/data/store").passed


def test_sync_that_started_before_the_write_does_not_cover_it() -> None:
    assert not check_sync_before_ack(STALE_BACKGROUND_SYNC, "/data/store").passed


def test_writes_to_an_o_dsync_file_are_durable() -> None:
    assert check_sync_before_ack(O_DSYNC, "/data/store").passed


def test_sync_of_a_file_outside_the_data_dir_does_not_count() -> None:
    assert not check_sync_before_ack(SYNC_OF_ANOTHER_FILE, "/data/store").passed


def test_a_trace_with_no_acknowledgement_does_not_pass() -> None:
    assert not check_sync_before_ack("", "/data/store").passed
