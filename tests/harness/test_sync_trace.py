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


OP = '[pid  101] access("/.jitskit-op/0/1", F_OK) = -1 ENOENT (No such file or directory)\n'
ACK = '[pid  101] access("/.jitskit-ack/0/1", F_OK) = -1 ENOENT (No such file or directory)\n'


def test_sync_of_another_data_file_than_the_one_written_does_not_count() -> None:
    trace = (
        OP
        + '[pid  101] write(5</data/store/log>, "abc", 3) = 3\n'
        + "[pid  101] fsync(6</data/store/MANIFEST>) = 0\n"
        + ACK
    )
    assert not check_sync_before_ack(trace, "/data/store").passed


def test_msync_of_a_shared_data_mapping_counts() -> None:
    trace = (
        "[pid  101] mmap(NULL, 1048576, PROT_READ|PROT_WRITE, MAP_SHARED, 5</data/store/db>, 0)"
        " = 0x7f0000000000\n" + OP + "[pid  101] msync(0x7f0000001000, 4096, MS_SYNC) = 0\n" + ACK
    )
    assert check_sync_before_ack(trace, "/data/store").passed


def test_msync_of_an_anonymous_page_does_not_count() -> None:
    trace = (
        "[pid  101] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"
        " = 0x7f0000000000\n"
        + OP
        + '[pid  101] write(5</data/store/log>, "abc", 3) = 3\n'
        + "[pid  101] msync(0x7f0000000000, 4096, MS_SYNC) = 0\n"
        + ACK
    )
    assert not check_sync_before_ack(trace, "/data/store").passed


def test_msync_async_does_not_count() -> None:
    trace = (
        "[pid  101] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 5</data/store/db>, 0)"
        " = 0x7f0000000000\n" + OP + "[pid  101] msync(0x7f0000000000, 4096, MS_ASYNC) = 0\n" + ACK
    )
    assert not check_sync_before_ack(trace, "/data/store").passed


def test_syncfs_of_a_file_outside_the_data_dir_does_not_count() -> None:
    trace = (
        OP
        + '[pid  101] write(5</data/store/log>, "abc", 3) = 3\n'
        + "[pid  101] syncfs(7</tmp/scratch>) = 0\n"
        + ACK
    )
    assert not check_sync_before_ack(trace, "/data/store").passed


def test_sync_file_range_does_not_count() -> None:
    trace = (
        OP
        + '[pid  101] write(5</data/store/log>, "abc", 3) = 3\n'
        + "[pid  101] sync_file_range(5</data/store/log>, 0, 3, SYNC_FILE_RANGE_WAIT_AFTER) = 0\n"
        + ACK
    )
    assert not check_sync_before_ack(trace, "/data/store").passed


def test_syncing_a_manifest_while_the_log_stays_unsynced_does_not_count() -> None:
    trace = (
        OP
        + '[pid  101] write(5</data/store/log>, "abc", 3) = 3\n'
        + '[pid  101] pwrite64(6</data/store/MANIFEST>, "m", 1, 0) = 1\n'
        + "[pid  101] fdatasync(6</data/store/MANIFEST>) = 0\n"
        + ACK
    )
    assert not check_sync_before_ack(trace, "/data/store").passed


def test_every_written_file_synced_counts() -> None:
    trace = (
        OP
        + '[pid  101] write(5</data/store/log>, "abc", 3) = 3\n'
        + '[pid  101] pwrite64(6</data/store/MANIFEST>, "m", 1, 0) = 1\n'
        + "[pid  101] fdatasync(5</data/store/log>) = 0\n"
        + "[pid  101] fdatasync(6</data/store/MANIFEST>) = 0\n"
        + ACK
    )
    assert check_sync_before_ack(trace, "/data/store").passed


def test_uncovered_count_is_every_uncovered_write_not_the_examples() -> None:
    ops = "".join(
        OP.replace("0/1", f"0/{n}")
        + '[pid  101] write(5</data/store/log>, "x", 1) = 1\n'
        + ACK.replace("0/1", f"0/{n}")
        for n in range(1, 6)
    )
    check = check_sync_before_ack(ops, "/data/store")
    assert check.uncovered_count == 5 and len(check.uncovered) == 3


def test_another_threads_unsynced_shard_log_does_not_concern_this_upsert() -> None:
    trace = (
        OP
        + '[pid  101] write(5</data/store/shard-0.log>, "abc", 3) = 3\n'
        + '[pid  102] write(6</data/store/shard-1.log>, "xyz", 3) = 3\n'
        + "[pid  101] fdatasync(5</data/store/shard-0.log>) = 0\n"
        + ACK
    )
    assert check_sync_before_ack(trace, "/data/store").passed
