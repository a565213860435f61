# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The task plumbing the backup flows share: wait for UPIDs, describe a task not waited for, find the task a
write started when its answer was lost, and pause between attempts without passing the deadline."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils import reconcile
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import jittered
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, parse_upid

# how long a task just started may stay out of the node's task list
SETTLE = 5.0


def wait_tasks(client, upids, deadline):
    """Task dicts of `upids` once all stopped; TaskFailed / TaskTimeout otherwise."""
    return TaskWaiter(client).wait(list(upids), deadline)


def running_task(upid):
    """The task dict of a task we did not wait for (wait: false)."""
    info = parse_upid(upid)
    return {"upid": info.raw, "node": info.node, "type": info.type, "id": info.id, "user": info.user,
            "status": "running", "exitstatus": None, "warnings": [], "starttime": info.starttime, "endtime": None}


def pause(deadline, seconds):
    """Sleep about `seconds` (with jitter), never past the deadline."""
    time.sleep(max(0.0, deadline.cap(jittered(seconds))))


def write_started(client):
    """The mark to take just before a write that may need reconciling (server clock, a little slack)."""
    return reconcile.write_started(client)


def find_started_task(client, node, task_type, vmid, since, deadline):
    """The UPID of the `task_type` task for `vmid` that our user started on `node` at or after `since`, or None
    when none shows up within a few seconds (reconcile.py reads the node's task list, running and finished)."""
    return reconcile.find_started_task(client, node, task_type, since, vmid=vmid, deadline=deadline, settle=SETTLE)
