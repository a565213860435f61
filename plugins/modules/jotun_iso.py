#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_iso
short_description: Keep an ISO library on Proxmox VE nodes, downloaded from URLs
version_added: 0.2.0
description:
  - With O(state=present), downloads O(url) as O(filename) into O(storage) on O(node), or on every online node
    where O(storage) takes ISO images, through Proxmox VE's C(download-url) (the node downloads it, with wget).
    Nodes that have the file already are left alone; with O(checksum), Proxmox VE checks the existing file's
    checksum instead of downloading it again, and a file with another checksum fails the run (delete it first).
  - A download whose checksum does not match, or whose URL cannot be reached, fails with Proxmox VE's message and
    leaves no file behind.
  - With O(state=absent), deletes the ISO from those nodes. It is refused, naming the servers, while any server
    has it in a drive.
  - Every run returns the ISO images of those nodes in RV(isos); M(jotunheim.proxmox.jotun_iso_info) only lists.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
  - jotunheim.proxmox.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
    details: Reports the nodes that would download or delete; an existing file's checksum is not checked in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The ISO volids per node (C(volid@node)) before and after.
options:
  state:
    description: V(present) downloads where missing, V(absent) deletes.
    type: str
    choices: [present, absent]
    default: present
  url:
    description: The http:// or https:// URL to download from (O(state=present)).
    type: str
  filename:
    description:
      - The file name in the library, ending in C(.iso) or C(.img); letters, digits, C(.), C(_) and C(-) only.
        Defaults to the last path component of O(url).
    type: str
  storage:
    description: The storage the ISO goes to; it must take content C(iso) and be file based (C(dir), NFS, CephFS...).
    type: str
    default: local
  node:
    description: The node to act on. Without it, every online node where O(storage) takes ISO images.
    type: str
  checksum:
    description: The expected checksum of the file, in hex; Proxmox VE verifies it after the download.
    type: str
  checksum_algorithm:
    description: The algorithm of O(checksum).
    type: str
    choices: [md5, sha1, sha224, sha256, sha384, sha512]
    default: sha256
  verify_certificates:
    description: Verify the TLS certificate of O(url)'s server.
    type: bool
    default: true
notes:
  - The download runs as a C(download) task on each node, in parallel; the module follows wget's progress lines
    in the task logs. With O(wait=false) it returns the running tasks for M(jotunheim.proxmox.jotun_task).
  - See docs/iso.md for the library, the CD-ROM drive of M(jotunheim.proxmox.jotun_server) and rescue mode.
seealso:
  - module: jotunheim.proxmox.jotun_iso_info
  - module: jotunheim.proxmox.jotun_server
  - module: jotunheim.proxmox.jotun_task
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Debian installer on every node
  jotunheim.proxmox.jotun_iso:
    url: https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-12.8.0-amd64-netinst.iso
    checksum: "{{ debian_sha256 }}"

- name: Remove an old image (refused while a server uses it)
  jotunheim.proxmox.jotun_iso:
    filename: debian-11.iso
    state: absent
"""

RETURN = r"""
volid:
  description: The ISO's volume id on O(storage).
  returned: always
  type: str
  sample: local:iso/debian-12.iso
filename:
  description: The file name.
  returned: always
  type: str
nodes:
  description: The nodes acted on.
  returned: always
  type: list
  elements: str
downloaded:
  description: Nodes the ISO was downloaded to (in check mode, would be).
  returned: always
  type: list
  elements: str
verified:
  description: Nodes that had the file already and where Proxmox VE found its checksum right.
  returned: always
  type: list
  elements: str
deleted:
  description: Nodes the ISO was deleted from (in check mode, would be).
  returned: always
  type: list
  elements: str
isos:
  description: The ISO images on O(storage) of those nodes after the run.
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
    filename:
      description: The file name.
      type: str
    size:
      description: Size in bytes.
      type: int
    ctime:
      description: File time, UNIX epoch seconds.
      type: int
tasks:
  description: The Proxmox VE tasks run (C(download), C(imgdel)), as M(jotunheim.proxmox.jotun_task) returns them.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.isos import run_iso
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            url=dict(type="str"),
            filename=dict(type="str"),
            storage=dict(type="str", default="local"),
            node=dict(type="str"),
            checksum=dict(type="str"),
            checksum_algorithm=dict(type="str", default="sha256",
                                    choices=["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]),
            verify_certificates=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["url"]), ("state", "absent", ["filename"])],
        supports_check_mode=True,
        wait=True,
    )
    module.run(run_iso)


if __name__ == "__main__":
    main()
