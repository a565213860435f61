#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_backup_info
short_description: List Proxmox VE backup archives across the cluster
version_added: 0.1.0
description:
  - Lists backup archives, newest first, from every storage with content C(backup) on every online node, without
    being told where they are. An archive on a shared storage is listed once.
  - Filters by server (O(vmid) or O(name)), O(node) and O(storage); they combine.
  - Never changes anything.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
    details: Reads only, so it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  vmid:
    description:
      - Only archives of this server id. Works for servers that no longer exist.
    type: int
  name:
    description:
      - Only archives of the existing server with this name. Fails when no server or several carry it.
    type: str
  node:
    description:
      - Only archives seen from this node. A name that is not a node of the cluster fails the module.
    type: str
  storage:
    description:
      - Only archives on this storage. A storage that does not exist, or does not take content C(backup) (on
        O(node)), fails the module.
    type: str
  orphan:
    description:
      - V(true) lists only orphaned archives (no guest with their vmid exists any more), V(false) only the others.
    type: bool
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: All archives of web01, newest first
  jotunheim.proxmox.jotun_backup_info:
    name: web01
  register: backups

- name: Restore the newest one over web01
  jotunheim.proxmox.jotun_backup:
    state: restored
    volid: "{{ backups.archives[0].volid }}"
    name: web01
    force: true
    force_stop: true

- name: Everything on the local storage of pve2
  jotunheim.proxmox.jotun_backup_info:
    node: pve2
    storage: local
"""

RETURN = r"""
archives:
  description: The archives, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    volid:
      description: The volume id, as M(jotunheim.proxmox.jotun_backup) takes it.
      type: str
      sample: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
    vmid:
      description: The server the archive was made from.
      type: int
      sample: 101
    type:
      description: The kind of guest, C(qemu) or C(lxc); null when the name does not tell.
      type: str
      sample: qemu
    node:
      description: The node the archive was found on (for a shared storage, the first node by name).
      type: str
      sample: pve1
    storage:
      description: The storage holding it.
      type: str
      sample: local
    shared:
      description: Whether that storage is shared between nodes.
      type: bool
      sample: false
    ctime:
      description: Creation time, UNIX epoch.
      type: int
      sample: 1795670000
    ctime_iso:
      description: Creation time, ISO 8601 in UTC.
      type: str
      sample: "2026-11-26T05:33:08Z"
    size:
      description: Size in bytes.
      type: int
      sample: 1073741824
    format:
      description: The archive format as Proxmox VE names it (C(vma.zst), C(tar.gz), ...).
      type: str
      sample: vma.zst
    notes:
      description: The first line of the archive's notes; empty when none.
      type: str
      sample: web01 nightly
    protected:
      description: Whether the archive is protected.
      type: bool
      sample: false
    orphan:
      description:
        - True when no guest with the archive's vmid exists in the cluster any more (read from
          C(/cluster/resources)); false for archives whose name does not tell their vmid.
      type: bool
      sample: false
offline_nodes:
  description: Nodes that were offline, whose local storages could not be listed.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.run import run_backup_info
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            vmid=dict(type="int"),
            name=dict(type="str"),
            node=dict(type="str"),
            storage=dict(type="str"),
            orphan=dict(type="bool"),
        ),
        supports_check_mode=True,
        wait=False,
    )
    module.run(run_backup_info)


if __name__ == "__main__":
    main()
