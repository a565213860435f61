#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_iso_info
short_description: List the ISO library of Proxmox VE nodes
version_added: 0.2.0
description:
  - Lists the ISO images on O(storage) of O(node), or of every online node where O(storage) takes ISO images.
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
  storage:
    description: The storage to list.
    type: str
    default: local
  node:
    description: The node to list. Without it, every online node where O(storage) takes ISO images.
    type: str
  filename:
    description: Only this file name.
    type: str
seealso:
  - module: jotunheim.proxmox.jotun_iso
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: What is in the library on pve1
  jotunheim.proxmox.jotun_iso_info:
    node: pve1
  register: library
"""

RETURN = r"""
nodes:
  description: The nodes listed.
  returned: always
  type: list
  elements: str
storage:
  description: The storage listed.
  returned: always
  type: str
isos:
  description: The ISO images, by node.
  returned: always
  type: list
  elements: dict
  contains:
    node:
      description: The node.
      type: str
    volid:
      description: The volume id, for the C(iso) option of M(jotunheim.proxmox.jotun_server).
      type: str
      sample: local:iso/debian-12.iso
    filename:
      description: The file name.
      type: str
    size:
      description: Size in bytes.
      type: int
    ctime:
      description: File time, UNIX epoch seconds.
      type: int
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.isos import run_iso_info
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule


def main():
    module = ProxmoxModule(
        argument_spec=dict(storage=dict(type="str", default="local"), node=dict(type="str"),
                           filename=dict(type="str")),
        supports_check_mode=True,
        wait=False,
    )
    module.run(run_iso_info)


if __name__ == "__main__":
    main()
