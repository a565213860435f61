#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_server_info
short_description: Read servers (QEMU guests) anywhere in a Proxmox VE cluster
version_added: 0.1.0
description:
  - Finds servers by O(vmid), O(name), O(tags), O(node), O(pool), or lists them all, without having to know their node.
  - For each server returns its state, resources, disks with sizes in bytes, network devices, cloud-init settings
    (the password masked), IP addresses (from C(ipconfigN) and, when it answers, from the guest agent), pending
    changes and uptime.
  - Filters combine; several values of one filter match any of them, several O(tags) must all be present.
  - Finding nothing is not an error; RV(servers) is then empty.
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
  vmid:
    description: Servers with these VMIDs (100 to 999999999).
    type: list
    elements: int
  name:
    description: Servers with these names (several servers may share a name; all are returned).
    type: list
    elements: str
  tags:
    description: Servers that carry all of these tags.
    type: list
    elements: str
  node:
    description: Servers on these nodes. A name that is not a node of the cluster fails the module.
    type: list
    elements: str
  pool:
    description: Servers in these resource pools. A pool that does not exist fails the module.
    type: list
    elements: str
  details:
    description:
      - With V(false), return only what the cluster's resource list says (vmid, name, node, status, lock, template,
        tags, pool, uptime, cpus, memory_bytes), at the cost of one request for any number of servers.
      - With V(true), read each server's status, configuration and pending changes as well (two or three requests
        per server).
    type: bool
    default: true
  agent:
    description:
      - Ask the QEMU guest agent of running servers that have it enabled for their IP addresses.
      - A server whose agent does not answer is still returned, with C(agent.answered=false).
    type: bool
    default: true
  firewall:
    description:
      - Read each server's own firewall as well (options, IP sets, rules; three requests per server plus one per IP
        set) into RV(servers[].firewall). Only with O(details=true).
    type: bool
    default: false
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: One server by name
  jotunheim.proxmox.jotun_server_info:
    name: web1
  register: web1

- name: Its address
  ansible.builtin.debug:
    msg: "{{ web1.servers[0].ip_address }}"

- name: All production web servers
  jotunheim.proxmox.jotun_server_info:
    tags: [prod, web]

- name: Every server of the customers pool, without details
  jotunheim.proxmox.jotun_server_info:
    pool: [customers]
    details: false

- name: A quick listing of the whole fleet (one request)
  jotunheim.proxmox.jotun_server_info:
    details: false

- name: web1 with its own firewall (options, IP sets, rules)
  jotunheim.proxmox.jotun_server_info:
    name: web1
    firewall: true
"""

RETURN = r"""
servers:
  description: The matching servers, sorted by VMID. Keys marked "details" are there only with O(details=true).
  returned: always
  type: list
  elements: dict
  contains:
    vmid:
      description: The VMID.
      type: int
    name:
      description: The name.
      type: str
    node:
      description: The node it lives on.
      type: str
    status:
      description: C(running) or C(stopped).
      type: str
    qmpstatus:
      description: QEMU's own view (C(running), C(paused), ...); details.
      type: str
    lock:
      description: The config lock (C(backup), C(clone), ...), null when none.
      type: str
    template:
      description: Whether it is a template.
      type: bool
    tags:
      description: Its tags, sorted.
      type: list
      elements: str
    pool:
      description: The resource pool it belongs to, null when none.
      type: str
    uptime:
      description: Seconds since it started; 0 when stopped.
      type: int
    cpus:
      description: CPUs as the cluster resource list reports them.
      type: int
    memory_bytes:
      description: Memory in bytes.
      type: int
    cores:
      description: Cores per socket; details.
      type: int
    sockets:
      description: Sockets; details.
      type: int
    vcpus:
      description: Virtual CPUs (cores x sockets unless set); details.
      type: int
    cpu:
      description: CPU type; details.
      type: str
    memory:
      description: Memory in MiB, as configured; details.
      type: int
    balloon:
      description: Balloon target in MiB; details.
      type: int
    description:
      description: Notes; details.
      type: str
    restored_from:
      description:
        - The archive M(jotunheim.proxmox.jotun_backup) last restored into it, null when none; details. It is kept as
          the last line of the config's description, which RV(servers[].description) leaves out.
      type: str
    onboot:
      description: Started when the node boots; details.
      type: bool
    protection:
      description: Protected against removal; details.
      type: bool
    ostype:
      description: Guest OS type; details.
      type: str
    disks:
      description: Attached disks (not CD-ROMs or the cloud-init drive); details.
      type: list
      elements: dict
      sample: [{"key": "scsi0", "volume": "local-lvm:vm-101-disk-0", "storage": "local-lvm", "size": 34359738368,
                "format": null, "boot": true}]
    unused_disks:
      description: Volumes detached but not deleted (C(unusedN)); details.
      type: list
      elements: str
    cdroms:
      description: CD-ROM drives, C({key, volume}); details.
      type: list
      elements: dict
    nets:
      description: Network devices; C(rate) in MB/s, C(vlan) the tag; details.
      type: list
      elements: dict
      sample: [{"key": "net0", "model": "virtio", "mac": "BC:24:11:AA:BB:01", "bridge": "vmbr0", "rate": 12.5,
                "vlan": null, "firewall": true, "link_down": false, "mtu": null}]
    cloud_init:
      description: Cloud-init settings; C(password) is C(**********) when one is set, else null; details.
      type: dict
      sample: {"drive": "ide2", "user": "admin", "password": "**********", "sshkeys": ["ssh-ed25519 AAAA... ops"],
               "nameservers": ["1.1.1.1"], "searchdomain": null,
               "ipconfig": [{"key": "ipconfig0", "net": "net0", "ip": "203.0.113.10/24", "gw": "203.0.113.1"}]}
    ip_addresses:
      description:
        - Addresses from the guest agent (C(source=agent)) and static ones from cloud-init (C(source=ipconfig));
          loopback and link-local addresses left out; details.
      type: list
      elements: dict
      sample: [{"address": "203.0.113.10", "prefix": 24, "family": "ipv4", "source": "agent", "net": "net0",
                "interface": "eth0"}]
    ip_address:
      description: The address to show first, an IPv4 the agent sees, else a configured one; details.
      type: str
    agent:
      description: C(enabled) in the config, and whether it C(answered); details.
      type: dict
    pending:
      description: Changes waiting for a restart, C({key, value, pending, delete}); secrets masked; details.
      type: list
      elements: dict
    firewall:
      description:
        - The server's own firewall, with O(firewall=true) - C(enabled), C(ipfilter), C(macfilter), C(policy_in),
          C(policy_out) (Proxmox VE's defaults filled in), C(options) (as set), C(ipsets) (name - entries, C(!)
          before a nomatch entry), C(rules) (C(pos), C(direction), C(action), C(enabled), C(proto), C(dport),
          C(source), ...). C(enabled) is the guest firewall's option; C(nets[].firewall) says whether a NIC passes it.
      type: dict
      sample: {"enabled": true, "ipfilter": true, "macfilter": true, "policy_in": "DROP", "policy_out": "ACCEPT",
               "options": {"enable": 1, "ipfilter": 1}, "ipsets": {"ipfilter-net0": ["203.0.113.10"]},
               "rules": [{"pos": 0, "direction": "in", "action": "ACCEPT", "enabled": true, "proto": "tcp",
                          "dport": "22"}]}
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.facts import check_filters, gather_servers


def run(module):
    params = module.params
    check_filters(module.client, params)
    servers = gather_servers(module.client, vmids=params["vmid"], names=params["name"], tags=params["tags"],
                             nodes=params["node"], pools=params["pool"], details=params["details"],
                             agent=params["agent"], firewall=params["firewall"])
    return {"changed": False, "servers": servers}


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            vmid=dict(type="list", elements="int"),
            name=dict(type="list", elements="str"),
            tags=dict(type="list", elements="str"),
            node=dict(type="list", elements="str"),
            pool=dict(type="list", elements="str"),
            details=dict(type="bool", default=True),
            agent=dict(type="bool", default=True),
            firewall=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
        wait=False,
    )
    module.run(run)


if __name__ == "__main__":
    main()
