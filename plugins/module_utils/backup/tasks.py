# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The task plumbing the backup flows share: wait for UPIDs, and pause between attempts without passing the deadline."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import jittered
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter

# how long a task just started may stay out of the node's task list (reconcile.start_task_once looks that long)
SETTLE = 5.0


def wait_tasks(client, upids, deadline):
    """Task dicts of `upids` once all stopped; TaskFailed / TaskTimeout otherwise."""
    return TaskWaiter(client).wait(list(upids), deadline)


def pause(deadline, seconds):
    """Sleep about `seconds` (with jitter), never past the deadline."""
    time.sleep(max(0.0, deadline.cap(jittered(seconds))))
