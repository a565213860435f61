#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_node_info
short_description: Read the nodes of a Proxmox VE cluster, their load and their storages
version_added: 0.1.0
description:
  - Returns every node (or those named in O(node)) with its status, CPU, memory, the CPUs and memory already given
    to its guests, and its storages with capacity and usage.
  - Says which storages take disk images and which take backups, enough for a playbook to place a new server.
  - Offline nodes are returned without storages instead of failing the read.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads only.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
options:
  node:
    description:
      - Only these nodes. A name that is not a node of the cluster fails the module.
    type: list
    elements: str
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Read the cluster
  jotunheim.proxmox.jotun_node_info:
  register: cluster

- name: Place a new server on the online node with the most free memory that has a storage for images
  ansible.builtin.set_fact:
    target: >-
      {{ cluster.nodes | selectattr('online') | rejectattr('image_storages', 'equalto', [])
         | sort(attribute='memory.free', reverse=true) | first }}

- name: Build the server there
  jotunheim.proxmox.jotun_server:
    name: web42
    template: debian-12
    node: "{{ target.node }}"
    storage: "{{ target.image_storages[0] }}"
"""

RETURN = r"""
nodes:
  description: The nodes, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    node:
      description: The node's name.
      type: str
    status:
      description: C(online), C(offline) or C(unknown).
      type: str
    online:
      description: Whether the node is online.
      type: bool
    uptime:
      description: Seconds since the node booted.
      type: int
    cpu:
      description: C(count) CPUs, C(usage) as a fraction 0..1, CPUs C(allocated) to its non-template guests.
      type: dict
      sample: {"count": 16, "usage": 0.12, "allocated": 24}
    memory:
      description: C(total), C(used), C(free) and C(allocated) to its non-template guests, in bytes.
      type: dict
      sample: {"total": 68719476736, "used": 17179869184, "free": 51539607552, "allocated": 34359738368}
    guests:
      description: Number of guests C(total), C(running) and C(templates) on the node.
      type: dict
    storages:
      description: The node's storages with sizes in bytes.
      type: list
      elements: dict
      sample: [{"storage": "local-lvm", "type": "lvmthin", "content": ["images", "rootdir"], "shared": false,
                "active": true, "enabled": true, "total": 107374182400, "used": 26843545600, "avail": 80530636800,
                "used_fraction": 0.25, "images": true, "backups": false}]
    image_storages:
      description: Names of the active storages that take disk images.
      type: list
      elements: str
    backup_storages:
      description: Names of the active storages that take backups.
      type: list
      elements: str
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.node_facts import gather_nodes


def run(module):
    return {"changed": False, "nodes": gather_nodes(module.client, names=module.params["node"])}


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            node=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
        wait=False,
    )
    module.run(run)


if __name__ == "__main__":
    main()
