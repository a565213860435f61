# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After a write whose outcome is unknown (read timeout, 596, dropped connection), find the task it started.

    since = write_started(client)                 # before the write
    try:
        upid = client.post(path, data)
    except ProxmoxError as err:
        if not err.unknown:
            raise
        upid = find_started_task(client, node, "qmclone", vmid=9000, since=since, deadline=deadline)
        # None: the write started no task (yet) -> read the real state (config, status) and decide
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline, backoff
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import parse_upid

# Task lists filter on whole seconds of the server's clock: look a little further back than the write.
SINCE_SLACK = 5


def write_started(client):
    """A 'since' mark (server epoch seconds) to take just before a write that may need reconciling."""
    return int(client.server_time()) - SINCE_SLACK


def find_started_task(client, node, task_type, since, vmid=None, user=None, deadline=None, settle=2.0,
                      task_id=None):
    """The UPID of the newest *task_type* task on *node* (for *vmid*, by *user*, default the client's) started at or
    after *since*, or None.

    *task_id*: the task's id when it is not a vmid (an archive delete's ``imgdel`` task is ``<vmid>@<storage>``,
    pve-storage API2/Storage/Content.pm); matched on the UPID, not sent as a filter.
    Looks again for up to *settle* seconds (within *deadline*) when nothing is found yet: the worker of a write
    that was cut off may take a moment to appear.
    """
    user = user or client.auth_user
    params = {"source": "all", "typefilter": task_type, "since": int(since), "limit": 50}
    if vmid is not None and task_id is None:
        params["vmid"] = int(vmid)
    if user:
        # node_tasks (pve-manager API2/Tasks.pm) matches userfilter against 'root@pam' for a token's finished tasks
        # ($convert_token_task splits the token id off) but against 'root@pam!name' for running ones: filter on the
        # user part, which both contain; _newest then compares the UPID's whole user
        params["userfilter"] = user.partition("!")[0]
    budget = deadline.sub(settle) if deadline is not None else Deadline(settle)
    delays = backoff(base=0.25, factor=2.0, cap=1.0)
    while True:
        found = _newest(client.get(api_path("nodes", node, "tasks"), params=params, deadline=deadline),
                        task_type, since, task_id if task_id is not None else vmid, user)
        if found:
            return found
        delay = next(delays)
        if not budget.allows(delay):
            return None
        time.sleep(delay)


def start_task_once(client, path, node, task_type, vmid, data=None, deadline=None, retry_locked=False, settle=2.0):
    """POST a write that starts a *task_type* task for *vmid* on *node*, once, and return its UPID.

    The client retries only what cannot have started; after an unknown outcome the task the write started is
    looked up in the node's task list instead of sending the write again. When none appears, a ProxmoxError of
    kind unknown says so: the caller must not send it again either.
    """
    since = write_started(client)
    try:
        return client.post(path, data=data, deadline=deadline, retry_locked=retry_locked)
    except ProxmoxError as err:
        if err.kind != ProxmoxError.UNKNOWN:
            raise
        upid = find_started_task(client, node, task_type, since, vmid=vmid, deadline=deadline, settle=settle)
        if upid:
            return upid
        raise ProxmoxError("the %s request for VM %s got no answer (%s) and no %s task for it appeared on %s; not sending it "
                           "again - check the node's task list before retrying" % (task_type, vmid, err.message, task_type, node),
                           kind=ProxmoxError.UNKNOWN, method="POST", path=path)


def _newest(entries, task_type, since, vmid, user):
    best = None
    for entry in entries or []:
        try:
            upid = parse_upid(entry.get("upid") or "")
        except ValueError:
            continue
        if upid.type != task_type or upid.starttime < since:
            continue
        if vmid is not None and upid.id != str(vmid):
            continue
        if user and upid.user != user:
            continue
        if best is None or upid.starttime >= best.starttime:
            best = upid
    return best.raw if best else None
