#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_snapshot
short_description: Take, roll back, rotate and delete snapshots of Proxmox VE QEMU servers
version_added: 0.2.0
description:
  - With O(state=present), takes the snapshot O(snapshot) of the server O(name) or O(vmid), found anywhere in the
    cluster, unless it exists (then only its O(description) is brought in line). With O(vmstate=true) the RAM of a
    running server is saved too, so a rollback resumes it running.
  - With O(prefix) and no O(snapshot), the new snapshot is named O(prefix) followed by the UTC time
    (C(YYYYMMDDHHMMSS)); every run takes one. With O(max_count), the oldest snapshots whose names start with
    O(prefix) are deleted after the new one exists, so that O(max_count) of them remain; no other snapshot is ever
    touched.
  - With O(state=rolled_back), rolls the server back to O(snapshot) and, with O(start=true), starts it afterwards.
    When the server already runs from that snapshot with the same config, nothing is done (O(force=true) rolls back
    anyway, for disk contents cannot be compared).
  - With O(state=absent), deletes O(snapshot); already gone is not an error.
  - Templates are refused. While the server is locked (a backup, another snapshot), the module waits for the lock
    to clear within O(wait_timeout), then goes on; Proxmox VE checks the lock inside its task, and a task that
    failed on the lock is sent again.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
  - jotunheim.proxmox.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
    details: Reads the snapshots and reports what would be taken, deleted (rotation included) or rolled back.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The snapshot names before and after, and the snapshot the server runs from.
options:
  name:
    description: The server's name. Fails when several servers carry it; give O(vmid) then.
    type: str
  vmid:
    description: The server's vmid, instead of O(name).
    type: int
  snapshot:
    description:
      - The snapshot's name, a letter followed by letters, digits, C(-) or C(_), at most 40 characters; not
        C(current) or C(pending). Required with O(state=rolled_back) and O(state=absent).
    type: str
  state:
    description:
      - V(present) takes the snapshot when missing; V(rolled_back) rolls back to it; V(absent) deletes it.
    type: str
    choices: [present, rolled_back, absent]
    default: present
  prefix:
    description:
      - Names snapshots for rotation. Without O(snapshot), the new snapshot is named O(prefix) + UTC time.
      - O(snapshot), when given with O(prefix), must start with it.
    type: str
  max_count:
    description:
      - With O(prefix), keep this many snapshots whose names start with O(prefix) (the new one counts) and delete
        the oldest others, by snapshot time. Needs O(wait=true).
    type: int
  vmstate:
    description:
      - Save the RAM of a running server with the snapshot; a rollback to it then resumes the server running.
        Ignored, with a warning, when the server is stopped.
    type: bool
    default: false
  description:
    description: The snapshot's description (with O(state=present); changed on an existing snapshot too).
    type: str
  start:
    description: With O(state=rolled_back), start the server after the rollback (Proxmox's C(start)).
    type: bool
    default: false
  force:
    description: With O(state=rolled_back), roll back even when the server already runs from O(snapshot).
    type: bool
    default: false
notes:
  - Endpoints and tasks follow qemu-server (C(qmsnapshot), C(qmdelsnapshot), C(qmrollback)); see docs/snapshot.md.
seealso:
  - module: jotunheim.proxmox.jotun_snapshot_info
  - module: jotunheim.proxmox.jotun_task
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Snapshot before an upgrade, with RAM
  jotunheim.proxmox.jotun_snapshot:
    name: web01
    snapshot: before-upgrade
    vmstate: true
    description: before apt full-upgrade

- name: Roll back when the upgrade failed, and start the server
  jotunheim.proxmox.jotun_snapshot:
    name: web01
    snapshot: before-upgrade
    state: rolled_back
    start: true

- name: A daily snapshot, keeping the last 3 daily ones
  jotunheim.proxmox.jotun_snapshot:
    name: web01
    prefix: daily-
    max_count: 3
"""

RETURN = r"""
vmid:
  description: The server's vmid.
  returned: always
  type: int
  sample: 101
node:
  description: The node the server is on.
  returned: always
  type: str
  sample: pve1
snapshot:
  description: The snapshot acted on (the generated name with O(prefix) alone).
  returned: always
  type: str
  sample: daily-20261129120000
snapshots:
  description: The server's snapshots after the run, oldest first, as M(jotunheim.proxmox.jotun_snapshot_info) returns them.
  returned: always
  type: list
  elements: dict
current:
  description: C(parent), the snapshot the server runs from (null when none), and C(running).
  returned: always
  type: dict
  sample: {"parent": "before-upgrade", "running": true}
deleted:
  description: Snapshots deleted (in check mode, that would be deleted) by O(state=absent) or rotation.
  returned: always
  type: list
  elements: str
  sample: ["daily-20261126120000"]
tasks:
  description: The Proxmox VE tasks run (qmsnapshot, qmdelsnapshot, qmrollback, qmstart), as M(jotunheim.proxmox.jotun_task) returns them.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.snapshots import run_snapshot


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            name=dict(type="str"),
            vmid=dict(type="int"),
            snapshot=dict(type="str"),
            state=dict(type="str", choices=["present", "rolled_back", "absent"], default="present"),
            prefix=dict(type="str"),
            max_count=dict(type="int"),
            vmstate=dict(type="bool", default=False),
            description=dict(type="str"),
            start=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("name", "vmid")],
        supports_check_mode=True,
        wait=True,
    )
    module.run(run_snapshot)


if __name__ == "__main__":
    main()
