#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_server_usage
short_description: Network, disk and CPU usage of Proxmox VE servers over a period, for billing
version_added: 0.1.0
description:
  - Returns, per server, the network bytes in and out, the disk bytes read and written and the CPU time used over a
    O(period) (the last hour, day, week, month or year) or a O(since)/O(until) window, and their totals.
  - Reads Proxmox's RRD statistics (C(GET /nodes/{node}/qemu/{vmid}/rrddata)), which hold rates per step; the bytes
    are the rates multiplied by the seconds of each step inside the window, so the figures are bytes, not bytes per
    second. The step is the finest the release keeps for the window (7.x/8.x and 9.x keep different ones).
  - Servers are chosen by O(vmid), O(name), O(tags), O(pool) or O(node); with none of them, every server (templates
    are left out). One listing and one request per server, several servers at once (O(concurrency)).
  - Never changes anything.
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
  vmid:
    description: Only these servers.
    type: list
    elements: int
  name:
    description: Only servers with these names.
    type: list
    elements: str
  tags:
    description: Only servers carrying all these tags.
    type: list
    elements: str
  pool:
    description: Only servers in these resource pools.
    type: list
    elements: str
  node:
    description: Only servers on these nodes.
    type: list
    elements: str
  period:
    description:
      - The last C(hour), C(day), C(week), C(month) (30 days) or C(year) (365 days), ending at the last whole step
        of the statistics. Give O(period) or O(since).
    type: str
    choices: [hour, day, week, month, year]
  since:
    description:
      - Start of the window, as epoch seconds, an ISO 8601 UTC time (C(2026-11-01T00:00:00Z), C(2026-11-01)) or an
        age (C(36h), C(7d), C(2w)).
    type: str
  until:
    description: End of the window, in the forms O(since) takes; now when not given.
    type: str
  cf:
    description:
      - The RRD consolidation function. C(AVERAGE) gives the bytes used; C(MAX) sums the peak rate of each step
        (an upper bound, for burst billing).
    type: str
    choices: [AVERAGE, MAX]
    default: AVERAGE
  include_stopped:
    description:
      - Read servers that are stopped now too (they may have run earlier in the window). With V(false) only running
        servers cost a request.
    type: bool
    default: true
  concurrency:
    description: At most this many statistics requests at once.
    type: int
    default: 8
  wait_timeout:
    description: Seconds the whole read may take, retries of failed reads included.
    type: int
    default: 600
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Traffic of every customer server last month
  jotunheim.proxmox.jotun_server_usage:
    pool: [customers]
    period: month
  register: usage

- name: Bytes sent by web01 since the first of the month
  jotunheim.proxmox.jotun_server_usage:
    name: [web01]
    since: "2026-11-01T00:00:00Z"
  register: web01

- name: Show it
  ansible.builtin.debug:
    msg: "{{ web01.servers[0].netout | human_readable }} out"
"""

RETURN = r"""
servers:
  description: One entry per server, by vmid.
  returned: always
  type: list
  elements: dict
  contains:
    vmid:
      description: The server's id.
      type: int
    name:
      description: Its name.
      type: str
    node:
      description: The node it is on.
      type: str
    status:
      description: C(running) or C(stopped), now.
      type: str
    pool:
      description: Its resource pool, null when in none.
      type: str
    netin:
      description: Bytes received over its network devices in the window.
      type: int
      sample: 1073741824
    netout:
      description: Bytes sent in the window.
      type: int
    diskread:
      description: Bytes read from its disks in the window.
      type: int
    diskwrite:
      description: Bytes written to its disks in the window.
      type: int
    cpu_seconds:
      description: CPU time used in the window, in core-seconds.
      type: float
    cpu_average:
      description: Mean share of its cores used over the seconds with data (0 to 1).
      type: float
    seconds:
      description: Seconds of the window the statistics cover.
      type: int
    error:
      description: Why its statistics could not be read (the figures are null then); null when read.
      type: str
totals:
  description: Sums over all servers, C({netin, netout, diskread, diskwrite}) in bytes and C(cpu_seconds).
  returned: always
  type: dict
since:
  description: Start of the window, epoch seconds.
  returned: always
  type: int
until:
  description: End of the window, epoch seconds.
  returned: always
  type: int
timeframe:
  description: The RRD timeframe read (C(hour) ... C(year)).
  returned: always
  type: str
step:
  description: Seconds per statistics row.
  returned: always
  type: int
complete:
  description: False when the statistics do not reach back to the start of the window.
  returned: always
  type: bool
cf:
  description: The consolidation function used.
  returned: always
  type: str
errors:
  description: How many servers could not be read.
  returned: always
  type: int
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.usage import run_usage


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            vmid=dict(type="list", elements="int"),
            name=dict(type="list", elements="str"),
            tags=dict(type="list", elements="str"),
            pool=dict(type="list", elements="str"),
            node=dict(type="list", elements="str"),
            period=dict(type="str", choices=["hour", "day", "week", "month", "year"]),
            since=dict(type="str"),
            until=dict(type="str"),
            cf=dict(type="str", choices=["AVERAGE", "MAX"], default="AVERAGE"),
            include_stopped=dict(type="bool", default=True),
            concurrency=dict(type="int", default=8),
            wait_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
        wait=False,
        required_one_of=[("period", "since")],
        mutually_exclusive=[("period", "since"), ("period", "until")],
    )
    module.run(run_usage)


if __name__ == "__main__":
    main()
