#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_disk_resize
short_description: Grow a disk of a Proxmox VE virtual machine, safely on every release
version_added: 0.1.0
description:
  - Grows one disk of a QEMU virtual machine to an absolute size (O(size)) or by a relative amount (O(increase)).
  - The server is found by O(vmid) or O(name) anywhere in the cluster; its node never has to be given.
  - With O(size) the module is idempotent. A disk already at the size (or above it only by the storage's rounding,
    less than 4 MiB) is left alone (C(changed=false)) and nothing is written. A size below the current one fails,
    because Proxmox VE cannot shrink a disk.
  - On Proxmox VE 8.0 and later the resize runs as a task. With O(wait=false) its UPID is returned at once in
    RV(task); with O(wait=true) the module waits for the task.
  - On Proxmox VE 7.x the resize call blocks until the disk is resized, which can take minutes, and the proxy in
    front of it answers HTTP 596 after 30 seconds while the resize goes on. With O(wait=false) the module returns
    within a couple of seconds with RV(status=in_progress) and RV(task=null) (no task exists on 7.x). With
    O(wait=true) a read timeout or 596 counts as "in progress", and the module reads the disk's size until it
    reaches the target, under O(wait_timeout).
  - A resize request whose outcome is unknown (read timeout, HTTP 596, connection dropped after sending) is never
    sent again; the module reads the disk's size instead and reports RV(status=in_progress) when the resize has not
    finished yet. Running the module again later converges.
  - A guest locked by a backup, clone or other operation is retried until O(wait_timeout); the error then names the
    lock.
  - Use M(jotunheim.proxmox.jotun_task) with O(jotunheim.proxmox.jotun_task#module:resize) to wait later for
    resizes started with O(wait=false).
extends_documentation_fragment:
  - jotunheim.proxmox.connection
  - jotunheim.proxmox.wait
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reports what would change (RV(size_after) is the target) without resizing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: Shows the disk's size before and after.
options:
  vmid:
    description:
      - The virtual machine's ID. One of O(vmid) and O(name) is required.
      - With both, they must name the same guest. A template's disks are refused (they are the base of its clones).
    type: int
  name:
    description:
      - The virtual machine's name, when O(vmid) is not given. Fails when several guests have this name, naming their
        vmids; give O(vmid) to pick one (with both, the guest O(vmid) names must carry this name).
    type: str
  disk:
    description:
      - The disk to grow, for example V(scsi0), V(virtio1), V(sata0), V(ide0), V(efidisk0) or V(tpmstate0).
      - Defaults to the boot disk (the first disk of the C(boot) order, else the first disk of the guest).
      - An empty value, or one with C(,), C(=), C(;) or white space, is refused.
    type: str
  size:
    description:
      - The absolute size the disk should have, for example V(40G), V(40960M), V(1.5T), or a plain number of bytes.
      - Units are binary (V(1G) is 1024 MiB); an optional V(B) or V(iB) after the unit is accepted.
      - A number without unit counts bytes; one below 1 MiB is refused as a forgotten unit ("did you mean 20G?").
      - Exactly one of O(size) and O(increase) is required.
    type: str
  increase:
    description:
      - Grow the disk by this amount, for example V(+10G) (the V(+) is optional).
      - B(Not idempotent) - every run grows the disk again. Prefer O(size).
      - When the outcome of the request is unknown it is never sent again; the module reports the size it reads.
    type: str
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Grow the boot disk of web01 to 80G (does nothing when it is already 80G)
  jotunheim.proxmox.jotun_disk_resize:
    name: web01
    size: 80G

- name: Grow a data disk by 10G (not idempotent)
  jotunheim.proxmox.jotun_disk_resize:
    vmid: 101
    disk: scsi1
    increase: +10G

- name: Start a long resize and come back later
  jotunheim.proxmox.jotun_disk_resize:
    vmid: 101
    size: 2T
    wait: false
  register: resize

- name: Wait for it (works on 7.x, where no task exists, and on 8.0+)
  jotunheim.proxmox.jotun_task:
    resize: "{{ resize }}"
    wait_timeout: 1800
"""

RETURN = r"""
vmid:
  description: The virtual machine's ID.
  returned: success
  type: int
  sample: 101
name:
  description: The virtual machine's name.
  returned: success
  type: str
  sample: web01
node:
  description: The node the virtual machine is on.
  returned: success
  type: str
  sample: pve1
disk:
  description: The disk that was (or would be) resized.
  returned: success
  type: str
  sample: scsi0
size_before:
  description: The disk's size before, in bytes.
  returned: success
  type: int
  sample: 34359738368
size_after:
  description:
    - The disk's size after, in bytes, as read back from Proxmox VE when RV(status=done).
    - The target size while RV(status=in_progress) and in check mode.
  returned: success
  type: int
  sample: 85899345920
size_before_human:
  description: RV(size_before) in the shortest exact unit.
  returned: success
  type: str
  sample: 32G
size_after_human:
  description: RV(size_after) in the shortest exact unit.
  returned: success
  type: str
  sample: 80G
status:
  description:
    - V(done) when the disk has its new size (or needed no change).
    - V(in_progress) when the resize was started but not waited for, or its outcome is not known yet.
  returned: success
  type: str
  sample: done
task:
  description: The UPID of the resize task (Proxmox VE 8.0 and later); null on 7.x and when nothing was done.
  returned: success
  type: str
  sample: "UPID:pve1:0001A2B3:00C0FFEE:6763A1B2:resize:101:root@pam:"
tasks:
  description: The tasks waited for, as task dicts (see M(jotunheim.proxmox.jotun_task)); empty when not waited.
  returned: success
  type: list
  elements: dict
diff:
  description: The disk and its size before and after.
  returned: "in diff mode (C(--diff) or C(diff: true))"
  type: dict
  sample: {"before": {"disk": "scsi0", "size": "32G"}, "after": {"disk": "scsi0", "size": "40G"}}
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.disks import run_disk_resize
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            vmid=dict(type="int"),
            name=dict(type="str"),
            disk=dict(type="str"),
            size=dict(type="str"),
            increase=dict(type="str"),
        ),
        required_one_of=[("vmid", "name"), ("size", "increase")],
        mutually_exclusive=[("size", "increase")],
        supports_check_mode=True,
        wait=True,
    )
    module.run(run_disk_resize)


if __name__ == "__main__":
    main()
