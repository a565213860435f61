#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_task
short_description: Report on or wait for Proxmox VE tasks started earlier
version_added: 0.1.0
description:
  - Looks at Proxmox VE tasks by UPID, from any nodes of the cluster (the node is read from each UPID), and
    waits until they end, until O(wait_timeout), or only reports where they are with O(wait=false).
  - Waiting on many tasks costs few requests, one listing of the active tasks per node per round and one status
    request for each task that left that list.
  - Also finishes what M(jotunheim.proxmox.jotun_disk_resize) started with O(wait=false); on Proxmox VE 7.x a
    resize has no task, so the disk's size is watched instead (see O(resize)).
  - Tasks still running at the deadline are reported and left running, never stopped.
  - Never changes anything; C(changed) is always V(false).
extends_documentation_fragment:
  - jotunheim.proxmox.connection
  - jotunheim.proxmox.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads only. In check mode it reports without waiting, as with O(wait=false), so that a dry run of a
        workflow never blocks on tasks that earlier steps only pretended to start.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  upid:
    description:
      - One task's UPID, as returned by a module's RV(tasks) list or by the Proxmox VE API.
      - One of O(upid), O(upids) and O(resize) is required.
      - A UPID its node does not know (Proxmox VE answers "no such task") 15 seconds or more after the start time
        the UPID holds is reported with RV(tasks[].status=unknown) and counted in RV(counts.unknown), at once, with
        O(wait=true) and O(wait=false) alike; it is not waited for.
    type: str
  upids:
    description:
      - UPIDs of tasks, on any nodes.
      - Each element is a UPID string or a task dict with an C(upid) key (the elements of another module's
        RV(tasks) list), so O(upids) can be fed with C({{ started.results | map(attribute='tasks') | flatten }}).
      - An empty list is allowed (what a module that started nothing returns); an empty, null or malformed
        element, or a dict without C(upid), is refused naming O(upids).
    type: list
    elements: raw
  resize:
    description:
      - What M(jotunheim.proxmox.jotun_disk_resize) returned with O(wait=false), registered as is (a single result
        or a looped one with C(results)), or a list of C({vmid, name, node, disk, size}) dicts.
      - A result holding a task (Proxmox VE 8.0 and later) is waited on like O(upids). A result in progress without
        a task (Proxmox VE 7.x, where the resize is a long synchronous call) is finished when the disk shows the
        size it was asked for (C(size_after), or C(size) such as V(40G)). A result that is already done needs nothing.
      - C(node) is optional; without it the server is found by C(vmid) or C(name) anywhere in the cluster.
    type: raw
  fail_on_error:
    description:
      - Fail when a task failed (an exit status other than C(OK) or C(WARNINGS)), when a UPID is unknown to its
        node, or, with O(wait=true), when tasks are still running at the deadline. The result still holds every task and the counts.
      - With V(false) the module reports the outcome without failing.
    type: bool
    default: true
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Start 50 resizes without waiting
  jotunheim.proxmox.jotun_disk_resize:
    vmid: "{{ item }}"
    disk: scsi0
    size: 80G
    wait: false
  loop: "{{ range(101, 151) | list }}"
  register: started

- name: Later, wait for all of them in one step (on 7.x and on 8.0+ alike)
  jotunheim.proxmox.jotun_task:
    resize: "{{ started }}"
    wait_timeout: 1800

- name: Wait for backups started with wait=false
  jotunheim.proxmox.jotun_task:
    upids: "{{ backups.results | map(attribute='tasks') | flatten }}"
    fail_on_error: false
  register: outcome

- name: Show which ones failed
  ansible.builtin.debug:
    msg: "{{ outcome.tasks | selectattr('exitstatus', 'ne', 'OK') | list }}"

- name: Is this task done, and how did it end?
  jotunheim.proxmox.jotun_task:
    upid: "UPID:pve1:000A1B2C:00F00D12:65A1B2C3:vzdump:101:root@pam:"
    wait: false
"""

RETURN = r"""
tasks:
  description: One dict per task, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    upid:
      description: The task's UPID.
      type: str
    node:
      description: The node the task runs on.
      type: str
    type:
      description: The task type (C(qmclone), C(vzdump), C(resize), ...).
      type: str
    id:
      description: The task's object, usually the VMID.
      type: str
    user:
      description: Who started it.
      type: str
    status:
      description: C(running) or C(stopped); C(unknown) when the task's node does not know the UPID.
      type: str
    exitstatus:
      description: "C(OK), C(WARNINGS: n) or the error text; null while running."
      type: str
    warnings:
      description: The warning lines of the task log.
      type: list
      elements: str
    starttime:
      description: Start time, UNIX epoch.
      type: int
    endtime:
      description: End time, UNIX epoch; null while running.
      type: int
    log_tail:
      description: The last lines of the task log, for tasks that failed or ended with warnings.
      type: list
      elements: str
    progress:
      description:
        - How far the task is, read from the progress lines its log prints, for a panel's progress bar. A running
          task's log is read for it when it is a clone (C(qmclone)), a disk move (C(qmmove), C(move_volume)), a
          backup (C(vzdump)) or a restore (C(qmrestore)); other tasks (a disk resize, a start) print no progress
          and stay at null until they end.
        - A task that ended with C(OK) or C(WARNINGS) is at V(100).
        - The tasks other modules return with O(wait=false) carry the same key, all null (not read yet).
      type: dict
      contains:
        percent:
          description: Percent done (0-100), or null when the log printed no progress (yet).
          type: float
        bytes_done:
          description:
            - Bytes copied so far, as the log prints them (clone, move and backup round them to 0.1 of their unit,
              e.g. C(1.0 GiB); a restore prints exact bytes read); null when the log prints no byte counts.
          type: int
        bytes_total:
          description: Bytes to copy in this phase (a clone's current disk, a backup's guest); null when not printed.
          type: int
        line:
          description: The progress line read, as the task log prints it.
          type: str
  sample:
    - upid: "UPID:pve1:000A1B2C:00F00D12:65A1B2C3:vzdump:101:root@pam:"
      node: pve1
      type: vzdump
      id: "101"
      user: root@pam
      status: stopped
      exitstatus: OK
      warnings: []
      starttime: 1700000000
      endtime: 1700000042
      log_tail: []
      progress: {"percent": 100.0, "bytes_done": 34359738368, "bytes_total": 34359738368,
                 "line": "INFO: 100% (32.0 GiB of 32.0 GiB) in 41s, read: 799.2 MiB/s, write: 780.3 MiB/s"}
resizes:
  description: One dict per disk watched from O(resize) without a task (Proxmox VE 7.x).
  returned: always
  type: list
  elements: dict
  contains:
    vmid:
      description: The server.
      type: int
    node:
      description: Its node.
      type: str
    disk:
      description: The disk, e.g. C(scsi0).
      type: str
    size:
      description: The size asked for, in bytes.
      type: int
    current_size:
      description: The size the disk has now, in bytes.
      type: int
    status:
      description: C(done) when the disk reached the size, else C(in_progress).
      type: str
counts:
  description:
    - How many tasks ended with C(OK) (V(ok)), with C(WARNINGS) (V(warnings)), failed (V(failed)), or are still
      running (V(running)), and UPIDs their node does not know (V(unknown)). Watched disks count as V(ok) once at
      their size, else as V(running).
  returned: always
  type: dict
  sample: {"ok": 48, "warnings": 1, "failed": 1, "running": 0, "unknown": 0}
  contains:
    ok:
      description: Tasks that ended with C(OK), and watched disks that reached their size.
      type: int
    warnings:
      description: Tasks that ended with C(WARNINGS).
      type: int
    failed:
      description: Tasks that failed.
      type: int
    running:
      description: Tasks still running, and watched disks not yet at their size.
      type: int
    unknown:
      description: UPIDs their node does not know (no such task past a short grace after their start time).
      type: int
timed_out:
  description: True when O(wait=true) and the deadline came before everything ended.
  returned: always
  type: bool
msg:
  description: One line on where the tasks are, with the progress of those running, for a job's output.
  returned: success
  type: str
  sample: "1 ok, 0 warnings, 0 failed, 1 running: qmclone 9000 on pve1 45.0% (921.6 MiB of 2.0 GiB)"
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.task_report import report


def run(module):
    params = module.params
    return report(module.client, upid=params["upid"], upids=params["upids"], resize=params["resize"],
                  wait=params["wait"] and not module.check_mode, deadline=module.deadline(),
                  fail_on_error=params["fail_on_error"])


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            upid=dict(type="str"),
            upids=dict(type="list", elements="raw"),
            resize=dict(type="raw"),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
        wait=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
