# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for retry.py: deadlines on an injected clock, backoff with jitter."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import itertools
import random

from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline, backoff, jittered


class FakeClock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_deadline_counts_down_and_expires():
    clock = FakeClock()
    deadline = Deadline(10, clock=clock)
    assert deadline.remaining() == 10
    clock.now += 4
    assert deadline.remaining() == 6
    assert deadline.allows(5) and not deadline.allows(6)
    assert deadline.cap(30) == 6 and deadline.cap(1) == 1
    clock.now += 7
    assert deadline.expired() and deadline.remaining() == 0


def test_deadline_without_end():
    deadline = Deadline(None)
    assert not deadline.expired()
    assert deadline.allows(10 ** 9)


def test_sub_deadline_never_outlives_parent():
    clock = FakeClock()
    parent = Deadline(3, clock=clock)
    assert parent.sub(10).remaining() == 3
    assert parent.sub(1).remaining() == 1
    assert Deadline(None, clock=clock).sub(2).remaining() == 2


def test_backoff_grows_to_cap_with_jitter_inside_bounds():
    delays = list(itertools.islice(backoff(base=0.5, factor=2, cap=4, jitter=0.5, rng=random.Random(7)), 8))
    nominal = [0.5, 1, 2, 4, 4, 4, 4, 4]
    for got, want in zip(delays, nominal):
        assert want / 2 <= got <= want
    assert len(set(delays)) == len(delays)  # jitter: no two clients sleep in lockstep


def test_backoff_without_jitter_is_exact():
    assert list(itertools.islice(backoff(base=1, factor=3, cap=5, jitter=0), 4)) == [1, 3, 5, 5]


def test_jittered_stays_within_fraction():
    rng = random.Random(1)
    for dummy in range(100):
        assert 0.9 <= jittered(1.0, 0.1, rng) <= 1.1
