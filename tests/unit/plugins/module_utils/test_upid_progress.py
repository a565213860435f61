# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the pure parts of tasks.py: UPIDs, exit statuses, progress lines, the polling schedule."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import (
    Progress, Schedule, elapsed_of, estimate_end, is_warning, outcome, parse_upid, progress_detail, progress_of)

UPID = "UPID:pve1:000A1B2C:0001E240:6745A1B2:qmclone:9000:root@pam!jotun:"


def test_parse_upid_fields():
    upid = parse_upid(UPID)
    assert upid.raw == UPID
    assert (upid.node, upid.pid, upid.pstart, upid.starttime) == ("pve1", 0xA1B2C, 0x1E240, 0x6745A1B2)
    assert (upid.type, upid.id, upid.user) == ("qmclone", "9000", "root@pam!jotun")


def test_parse_upid_empty_id_and_9_digit_pstart():
    upid = parse_upid("UPID:node-2:00001234:123456789:6745A1B2:vzdump::root@pam:")
    assert upid.id == "" and upid.node == "node-2" and upid.type == "vzdump"


@pytest.mark.parametrize("text", [
    "", "UPID:pve1", "pve1:000A1B2C:0001E240:6745A1B2:qmclone:9000:root@pam:",
    "UPID:pve1:XYZ:0001E240:6745A1B2:qmclone:9000:root@pam:", UPID[:-1], None, 42,
])
def test_parse_upid_rejects(text):
    with pytest.raises(ValueError) as err:
        parse_upid(text)
    assert "UPID" in str(err.value)


@pytest.mark.parametrize("exitstatus,expected", [
    ("OK", "ok"), ("WARNINGS: 2", "warnings"), ("clone failed: no space", "failed"), ("unexpected status", "failed"),
    (None, None),
])
def test_outcome(exitstatus, expected):
    assert outcome(exitstatus) == expected


@pytest.mark.parametrize("line,value", [
    ("drive-scsi0: transferred 1.0 GiB of 2.0 GiB (50.00%) in 5s", 50.0),
    ("transferred 512.0 MiB of 32.0 GiB (1.56%)", 1.56),
    ("INFO:  50% (1.0 GiB of 2.0 GiB) in 5s, read: 200.0 MiB/s, write: 190.0 MiB/s", 50.0),
    ("INFO: 100% (2.0 GiB of 2.0 GiB) in 10s", 100.0),
    ("progress 75% (read 1610612736 bytes, duration 3 sec)", 75.0),
    ("    (42.00/100%)", 42.0),
    ("INFO: backup is sparse: 1.2 GiB (60%) total zero data", None),
    ("INFO: starting new backup job: vzdump 101", None),
    ("TASK OK", None),
])
def test_progress_of(line, value):
    assert progress_of(line) == value


GIB = 1024 ** 3


@pytest.mark.parametrize("line,percent,done,total", [
    # qemu-server qemu_drive_mirror_monitor (running guest) and qemu_img_convert (template, stopped guest)
    ("drive-scsi0: transferred 1.0 GiB of 2.0 GiB (50.00%) in 5s", 50.0, GIB, 2 * GIB),
    ("transferred 512.0 MiB of 32.0 GiB (1.56%)", 1.56, 512 * 1024 ** 2, 32 * GIB),
    ("transferred 0.0 B of 2.0 GiB (0.00%)", 0.0, 0, 2 * GIB),
    # pve-manager / qemu-server VZDump: "%3d%% ($transferred_h of $target_h) in %s, read: ..., write: ..."
    ("INFO:  50% (1.0 GiB of 2.0 GiB) in 5s, read: 200.0 MiB/s, write: 190.0 MiB/s", 50.0, GIB, 2 * GIB),
    ("INFO:   3% (61.4 MiB of 2.0 GiB) in 1s, read: 61.4 MiB/s, write: 58.0 MiB/s", 3.0, int(61.4 * 1024 ** 2), 2 * GIB),
    # vma extract under qmrestore: bytes read only
    ("progress 75% (read 1610612736 bytes, duration 3 sec)", 75.0, 1610612736, None),
    ("    (42.00/100%)", 42.0, None, None),
])
def test_progress_detail(line, percent, done, total):
    detail = progress_detail(line)
    assert detail == {"percent": percent, "bytes_done": done, "bytes_total": total, "line": line}


def test_no_progress_detail_in_other_lines():
    assert progress_detail("INFO: starting new backup job: vzdump 101") is None
    assert progress_detail("TASK OK") is None


def test_warning_lines():
    assert is_warning("WARN: no efidisk configured!")
    assert is_warning("INFO: WARNING: something odd")
    assert not is_warning("TASK WARNINGS: 2")
    assert not is_warning("INFO: all fine")


def test_estimate_end_linear():
    assert estimate_end([(10.0, 10.0), (12.0, 20.0)]) == pytest.approx(28.0)
    assert estimate_end([(10.0, 10.0)]) is None
    assert estimate_end([(10.0, 10.0), (12.0, 10.0)]) is None
    assert estimate_end([(10.0, 10.0), (10.05, 20.0)]) is None


def test_schedule_grows_to_cap_without_progress():
    schedule = Schedule(first=0.2, growth=1.6, cap=4.0, jitter=0.0)
    delays = [schedule.next_delay(0.0) for dummy in range(10)]
    assert delays[0] == pytest.approx(0.2)
    assert all(b >= a for a, b in zip(delays, delays[1:]))
    assert delays[-1] == pytest.approx(4.0)


def test_schedule_jitter_spreads():
    schedule = Schedule(first=1.0, growth=1.0, cap=1.0, jitter=0.1, rng=random.Random(3))
    delays = [schedule.next_delay(0.0) for dummy in range(50)]
    assert all(0.9 <= d <= 1.1 for d in delays) and len(set(delays)) > 40


def test_schedule_aims_at_expected_end():
    schedule = Schedule(first=0.2, growth=1.6, cap=4.0, jitter=0.0)
    # far away: one look on the way (3/4 of the distance), not a poll every few seconds
    assert schedule.next_delay(2.0, expected_end=60.0) == pytest.approx(58 * Schedule.ON_THE_WAY)
    assert schedule.next_delay(50.0, expected_end=60.0) == pytest.approx(10 * Schedule.ON_THE_WAY)
    # near (within two caps): aim at the end itself (the estimate is biased early)
    assert schedule.next_delay(53.0, expected_end=60.0) == pytest.approx(7.0)
    assert schedule.next_delay(57.0, expected_end=60.0) == pytest.approx(3.0)
    # past the expected end: a few close looks, each a little further apart, then growing again
    after = [schedule.next_delay(61.0, expected_end=60.0) for dummy in range(9)]
    assert after[:6] == [pytest.approx(0.2 * Schedule.CLOSE_GROWTH ** k) for k in range(6)]
    assert all(0.2 <= d < 0.5 for d in after[:6])
    assert after[6] == pytest.approx(0.2) and after[7] > after[6] and after[8] > after[7]


def test_schedule_short_phase_gives_no_estimate():
    progress = Progress()
    for percent in (0.0, 10.0, 50.0, 90.0):
        progress.add(percent, 0, None, 1.0)  # a phase shorter than a second: 'in 0s' everywhere
    assert progress.expected_end() is None


def test_polls_for_a_60s_task_with_progress():
    """A task at a steady rate: count the looks the schedule needs (the bench measures the real figure)."""
    schedule = Schedule(first=0.2, growth=1.6, cap=4.0, jitter=0.0)
    now, looks, samples = 0.0, 0, []
    while now < 60.0:
        looks += 1
        samples.append((now, now / 60.0 * 100.0))
        now += schedule.next_delay(now, estimate_end(samples))
    assert looks <= 12
    assert now - 60.0 < 0.3


@pytest.mark.parametrize("line,seconds", [
    ("drive-scsi0: transferred 1.0 GiB of 2.0 GiB (50.00%) in 5s", 5),
    ("INFO:  50% (1.0 GiB of 2.0 GiB) in 12s, read: 200.0 MiB/s, write: 190.0 MiB/s", 12),
    ("progress 75% (read 1610612736 bytes, duration 3 sec)", 3),
    ("transferred 512.0 MiB of 32.0 GiB (1.56%)", None),
])
def test_elapsed_of(line, seconds):
    assert elapsed_of(line) == seconds


def test_progress_pins_the_phase_start_from_read_windows():
    """A 59 s phase started at t=10 (waiter clock), printing every 5.9 s with truncated seconds ('in 5s')."""
    progress = Progress()
    reads = [10.2, 10.5, 16.3, 22.1, 40.0]
    printed = [(0.0, 0.0)] + [(5.9 * i, 10.0 * i) for i in range(1, 5)]
    after = None
    for read in reads:
        for elapsed, percent in printed:
            line_time = 10.0 + elapsed
            if (after is None or line_time > after) and line_time <= read:
                progress.add(percent, int(elapsed), after, read)
        after = read
    end = progress.expected_end()
    assert 68.0 <= end <= 69.0  # the true end is 69: aimed a little early, never late


def test_progress_single_reading_assumes_start_at_zero_but_looks_again_soon():
    progress = Progress()
    progress.add(10.0, 6, None, 16.5)  # printed between 6 and 7 s into the phase, read at 16.5
    # the phase would end at 16.5 - 6 - 0.5 + 65 = 75, but one reading cannot be cross-checked: look within 2 s
    assert progress.expected_end() == pytest.approx(18.5)
    progress.add(20.0, 12, 16.6, 22.6)
    assert progress.expected_end() == pytest.approx(22.6 + 6.1)  # the look-ahead doubles with the time watched
    progress.add(30.0, 18, 22.7, 28.7)  # the read times roughly agree with the elapsed seconds: trusted now
    assert 68.0 <= progress.expected_end() <= 76.0  # no longer capped by the look-ahead


def test_progress_from_a_faster_server_clock_is_overruled_by_read_times():
    """A simulator at --speed 20 prints 'in 20s' after one real second: the read times put the end far earlier."""
    progress = Progress()
    progress.add(0.0, 0, None, 0.2)
    progress.add(10.0, 4, 0.2, 0.4)
    progress.add(30.0, 12, 0.4, 0.8)
    assert progress.expected_end() < 3.0


def test_progress_restarts_on_next_disk_and_falls_back_to_read_times():
    progress = Progress()
    progress.add(50.0, 5, None, 5.2)
    progress.add(100.0, 10, 5.3, 10.2)
    progress.add(10.0, 1, 10.3, 11.2)  # the second disk
    assert progress.points == [(1, 10.0)]
    plain = Progress()
    plain.add(10.0, None, None, 2.0)  # the first read: the line may be of any age
    plain.add(20.0, None, 2.0, 4.0)  # appeared between the reads at 2 and 4: taken as 3
    assert plain.expected_end() is None
    plain.add(30.0, None, 4.0, 6.0)
    assert plain.expected_end() == pytest.approx(5.0 + 70.0 / 5.0)
