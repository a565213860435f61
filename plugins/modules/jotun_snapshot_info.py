#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_snapshot_info
short_description: The snapshot tree of a Proxmox VE QEMU server
version_added: 0.2.0
description:
  - Lists the snapshots of the server O(name) or O(vmid), found anywhere in the cluster, oldest first, with each
    one's parent and children, time, description and whether it holds the RAM, and the snapshot the server runs from.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
    details: Reads only.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  name:
    description: The server's name.
    type: str
  vmid:
    description: The server's vmid, instead of O(name).
    type: int
seealso:
  - module: jotunheim.proxmox.jotun_snapshot
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Snapshots of web01
  jotunheim.proxmox.jotun_snapshot_info:
    name: web01
  register: snaps
"""

RETURN = r"""
vmid:
  description: The server's vmid.
  returned: always
  type: int
node:
  description: The node the server is on.
  returned: always
  type: str
snapshots:
  description: The snapshots, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The snapshot's name.
      type: str
      sample: before-upgrade
    parent:
      description: The snapshot it was taken on top of; null at the root of the tree.
      type: str
    children:
      description: Names of the snapshots taken on top of it.
      type: list
      elements: str
    snaptime:
      description: When it was taken, UNIX epoch seconds.
      type: int
      sample: 1795670000
    time:
      description: When it was taken, ISO 8601 in UTC.
      type: str
      sample: "2026-11-29T12:00:00Z"
    description:
      description: Its description; empty when none.
      type: str
    vmstate:
      description: Whether it holds the server's RAM.
      type: bool
current:
  description: C(parent), the snapshot the server runs from (null when none), and C(running).
  returned: always
  type: dict
  sample: {"parent": "before-upgrade", "running": false}
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.snapshots import run_snapshot_info


def main():
    module = ProxmoxModule(
        argument_spec=dict(name=dict(type="str"), vmid=dict(type="int")),
        mutually_exclusive=[("name", "vmid")],
        required_one_of=[("name", "vmid")],
        supports_check_mode=True,
        wait=False,
    )
    module.run(run_snapshot_info)


if __name__ == "__main__":
    main()
