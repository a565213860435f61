# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time budgets on the monotonic clock, and the backoff-with-jitter delays used between retries."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import time


class Deadline(object):
    """A point in time on the monotonic clock: how long is left, and whether it has passed.

    ``Deadline(600)`` ends 600 s from now; ``Deadline(None)`` never ends.
    """

    def __init__(self, seconds, clock=time.monotonic):
        self._clock = clock
        self.seconds = seconds
        self.start = clock()
        self.end = None if seconds is None else self.start + float(seconds)

    def remaining(self):
        """Seconds left (never negative); a very large number for a deadline without end."""
        if self.end is None:
            return float("inf")
        return max(0.0, self.end - self._clock())

    def elapsed(self):
        return self._clock() - self.start

    def expired(self):
        return self.end is not None and self._clock() >= self.end

    def allows(self, seconds):
        """True when *seconds* more still fit before the deadline."""
        return self.remaining() > seconds

    def cap(self, seconds):
        """*seconds*, shortened to what is left."""
        return min(seconds, self.remaining())

    def sub(self, seconds):
        """A new deadline ending after *seconds* or at this one, whichever comes first."""
        child = Deadline(None, clock=self._clock)
        child.seconds = seconds
        limit = child.start + float(seconds)
        child.end = limit if self.end is None else min(limit, self.end)
        return child

    def __repr__(self):
        return "Deadline(remaining=%.3f)" % self.remaining()


def backoff(base=0.5, factor=2.0, cap=5.0, jitter=0.5, rng=None):
    """Endless delays for retries: base, base*factor, ... up to cap, each randomly shortened by up to *jitter*.

    With jitter=0.5 every delay lies in [d/2, d]: clients retrying together spread out instead of colliding.
    """
    rng = rng or random.Random()
    delay = float(base)
    while True:
        yield delay * (1.0 - jitter * rng.random())
        delay = min(cap, delay * factor)


def jittered(seconds, fraction=0.1, rng=None):
    """*seconds* moved randomly by up to +/- *fraction* of itself."""
    rng = rng or random
    return seconds * (1.0 + fraction * (2.0 * rng.random() - 1.0))
