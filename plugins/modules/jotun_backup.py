#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_backup
short_description: Back up, restore, protect, rotate and delete Proxmox VE backups of QEMU servers
version_added: 0.1.0
description:
  - With O(state=present), makes a backup (vzdump) of a server on the node that holds it, found anywhere in the
    cluster by O(vmid) or O(name). O(max_age) makes this idempotent. The C(keep_*) options then rotate that server's
    older archives on that storage; rotation runs only after a successful backup, never removes the new archive and
    never removes a protected one.
  - With O(state=present) and O(volid), sets the O(notes) and O(protected) flag of an existing archive.
  - With O(state=restored), restores the archive O(volid) into O(vmid) (a new id or an existing server). Before
    anything changes it checks that the archive exists and holds a QEMU guest. An existing server is overwritten only
    with O(force=true), and stopped first only with O(force_stop=true). Before it replaces an existing server it
    checks that the target storages have room for the archive's disks and makes a safety backup of that server
    (O(backup_before)), because Proxmox VE frees the old disks before it extracts the archive, so a restore that then
    fails leaves an empty stub. The restored server's description gets a last line that names O(volid) as restored;
    running the same restore again finds it and changes nothing (C(changed=false), RV(already_restored)).
  - With O(state=absent), deletes the archive O(volid). Already gone is not an error. A protected archive is deleted
    only with O(unprotect=true).
  - With O(state=pruned_orphans), deletes orphaned archives - those whose guest no longer exists in the cluster -
    created more than O(older_than) ago, on every node (or only O(node), O(storage)). Protected archives are never
    deleted. In check mode it lists what would go (RV(orphans)) and deletes nothing.
  - vzdump is always called with C(remove=0), so the storage's own retention settings never delete archives as a
    side effect; only the C(keep_*) options of this module do.
  - When the answer to the backup or restore request is lost, the module looks for the task it started in the node's
    task list instead of sending the request again.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
  - jotunheim.proxmox.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
    details: Reads what exists and reports what would be done, including the archives rotation would remove.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: partial
    details: Shows the notes and protection of an archive before and after (O(state=present) with O(volid), O(state=absent)).
options:
  state:
    description:
      - V(present) makes a backup of the server O(vmid) or O(name), or, with O(volid), sets that archive's O(notes)
        and O(protected).
      - V(restored) restores O(volid) into a server. This is an action, run each time; on an existing server it needs
        O(force=true).
      - V(absent) deletes the archive O(volid).
      - V(pruned_orphans) deletes the orphaned archives older than O(older_than), never protected ones.
    type: str
    choices: [present, restored, absent, pruned_orphans]
    default: present
  vmid:
    description:
      - The server to back up (O(state=present)).
      - The server to restore into (O(state=restored)); without O(vmid) and O(name), the id the archive was made from.
    type: int
  name:
    description:
      - The server's name, instead of O(vmid). Fails when several servers carry it.
      - With O(state=restored), names an existing server to restore over.
    type: str
  volid:
    description:
      - An archive's volume id, for example C(local:backup/vzdump-qemu-100-2026_11_26-05_33_08.vma.zst), as
        returned by this module or M(jotunheim.proxmox.jotun_backup_info).
      - Required with O(state=restored) and O(state=absent). With O(state=present) it selects an archive whose
        O(notes) and O(protected) are set, and no backup is made.
    type: str
  storage:
    description:
      - With O(state=present), the storage the backup goes to; it must allow content C(backup) on the server's node.
        Required when a backup is made.
      - With O(state=restored), the storage the restored disks go to; by default each disk goes back to the storage
        named in the archive.
      - With O(state=pruned_orphans), only archives on this storage.
    type: str
  node:
    description:
      - With O(state=restored) into a new id, the node that gets the server. Defaults to the node the archive is on.
        An existing server is always restored on its own node.
      - With O(state=pruned_orphans), only archives seen from this node.
    type: str
  mode:
    description:
      - vzdump's backup mode. V(snapshot) keeps the server running; V(suspend) pauses it; V(stop) shuts it down
        for the backup and starts it again.
    type: str
    choices: [snapshot, suspend, stop]
    default: snapshot
  compress:
    description:
      - Compression of the archive.
    type: str
    choices: [zstd, gzip, lzo, none]
    default: zstd
  notes:
    description:
      - With a new backup, a notes template; Proxmox VE replaces C({{guestname}}), C({{vmid}}), C({{node}}) and
        C({{cluster}}). In a playbook write them so Ansible does not template them itself, for example
        C("{{ '{{guestname}}' }} before upgrade") or with C(!unsafe).
      - With O(volid), the archive's notes as they should be (plain text).
    type: str
  protected:
    description:
      - With a new backup, mark it protected (never pruned, not deletable until unprotected).
      - With O(volid), the protection the archive should have.
    type: bool
  max_age:
    description:
      - Make no new backup when one of this server on O(storage) is younger than this; return that one instead,
        unchanged. A number with a unit, V(90s), V(30m), V(24h), V(7d), V(2w), or plain seconds.
      - With O(wait=true), a backup of the server already running on its node is waited for first; when it leaves an
        archive younger than this on O(storage), that one is returned and no second backup is made.
      - Without it every run makes a backup.
    type: str
  keep_last:
    description:
      - After a successful new backup, keep this many of the server's newest unprotected archives on O(storage)
        (the new one counts) and delete the others, unless another C(keep_*) option keeps them.
      - The C(keep_*) options work like Proxmox VE's C(prune-backups), over this server's archives on O(storage)
        only. Protected archives and archives with non-standard names are never removed and never counted.
        Periods (hour, day, ISO week, month, year) are taken in UTC.
      - Needs O(wait=true).
    type: int
  keep_hourly:
    description:
      - Keep the newest archive of each of this many most recent hours that have one. See O(keep_last).
    type: int
  keep_daily:
    description:
      - Keep the newest archive of each of this many most recent days that have one. See O(keep_last).
    type: int
  keep_weekly:
    description:
      - Keep the newest archive of each of this many most recent ISO weeks that have one. See O(keep_last).
    type: int
  keep_monthly:
    description:
      - Keep the newest archive of each of this many most recent months that have one. See O(keep_last).
    type: int
  keep_yearly:
    description:
      - Keep the newest archive of each of this many most recent years that have one. See O(keep_last).
    type: int
  unprotect:
    description:
      - With O(state=absent), remove the protection of a protected archive and delete it. Without it a protected
        archive is refused. If the delete then fails, the protection is put back.
    type: bool
    default: false
  force:
    description:
      - With O(state=restored), allow overwriting an existing server (its disks and config are replaced).
    type: bool
    default: false
  force_stop:
    description:
      - With O(state=restored) and O(force=true), stop the existing server (hard stop) when it is running. Without it
        a running server is refused.
    type: bool
    default: false
  backup_before:
    description:
      - With O(state=restored) over an existing server, first back that server up (vzdump, onto the storage of
        O(volid)) and name the archive in RV(safety_backup). If the restore then fails, the failure's result still
        has RV(safety_backup) and RV(left) (what is left of the server - on real Proxmox VE an empty stub), and its
        message says to restore that archive.
      - V(false) skips it; a failed restore then leaves nothing to go back to.
    type: bool
    default: true
  unique:
    description:
      - With O(state=restored), give the restored server new random MAC addresses (for a copy next to the original).
    type: bool
    default: false
  start:
    description:
      - With O(state=restored), start the server after the restore.
    type: bool
    default: false
  older_than:
    description:
      - With O(state=pruned_orphans) (required there), only orphaned archives created longer ago than this age
        (C(90s), C(30m), C(24h), C(30d), C(2w)) are deleted.
    type: str
notes:
  - The module runs the backup on the node of the server and never needs to be told that node.
  - If the server's config is locked by another operation (a resize, another backup), the backup is started again
    with growing pauses until O(wait_timeout); then it fails saying the server stayed locked.
  - Proxmox VE runs one backup job per node; a backup started while another job runs on that node waits for it
    (the task logs C(trying to get global lock)). When O(wait_timeout) runs out first, the module fails saying so and
    leaves that task queued.
  - When the node answers the backup request with C(OK) and no task (the server migrated meanwhile), the module looks
    the server up again and backs it up on its new node.
seealso:
  - module: jotunheim.proxmox.jotun_backup_info
  - module: jotunheim.proxmox.jotun_task
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Nightly backup, at most one a day, keep the last 7 and one per week for 4 weeks
  jotunheim.proxmox.jotun_backup:
    name: web01
    storage: local
    max_age: 20h
    keep_last: 7
    keep_weekly: 4
    notes: "{{ '{{guestname}}' }} nightly"

- name: Start backups of many servers without waiting, collect the tasks later with jotun_task
  jotunheim.proxmox.jotun_backup:
    vmid: "{{ item }}"
    storage: local
    wait: false
  loop: [101, 102, 103]
  register: started

- name: Pin an archive the customer wants kept
  jotunheim.proxmox.jotun_backup:
    volid: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
    protected: true
    notes: kept for ticket 4711

- name: Restore it into a new server next to the original
  jotunheim.proxmox.jotun_backup:
    state: restored
    volid: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
    vmid: 201
    unique: true
    start: true

- name: Delete the backups of deleted servers once they are a month old (check mode lists them)
  jotunheim.proxmox.jotun_backup:
    state: pruned_orphans
    older_than: 30d

- name: Restore it over the broken original, stopping it first
  jotunheim.proxmox.jotun_backup:
    state: restored
    volid: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
    vmid: 101
    force: true
    force_stop: true

- name: Delete an archive, even a protected one
  jotunheim.proxmox.jotun_backup:
    state: absent
    volid: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
    unprotect: true
"""

RETURN = r"""
volid:
  description:
    - The archive concerned. For a new backup, read from the storage after the task ended (the newest archive of
      the server made after the task started). With O(max_age) satisfied, the recent archive found.
    - Null when a backup was started with O(wait=false) or would be made in check mode.
  returned: always
  type: str
  sample: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
vmid:
  description: The server backed up or restored into.
  returned: when a server is concerned
  type: int
  sample: 101
node:
  description: The node the backup or restore ran on, or where the archive lies.
  returned: when a server or archive is concerned
  type: str
  sample: pve1
storage:
  description: The storage of the archive.
  returned: with O(state=present)
  type: str
  sample: local
size:
  description: The archive's size in bytes.
  returned: with O(state=present)
  type: int
  sample: 1073741824
ctime:
  description: The archive's creation time, UNIX epoch.
  returned: with O(state=present)
  type: int
  sample: 1795670000
ctime_iso:
  description: The archive's creation time, ISO 8601 in UTC.
  returned: with O(state=present)
  type: str
  sample: "2026-11-26T05:33:08Z"
archive:
  description: The archive as M(jotunheim.proxmox.jotun_backup_info) lists it, null when there is none.
  returned: always
  type: dict
  sample:
    volid: "local:backup/vzdump-qemu-101-2026_11_26-05_33_08.vma.zst"
    vmid: 101
    type: qemu
    node: pve1
    storage: local
    shared: false
    ctime: 1795670000
    ctime_iso: "2026-11-26T05:33:08Z"
    size: 1073741824
    format: vma.zst
    notes: web01 nightly
    protected: false
orphans:
  description: With O(state=pruned_orphans), the orphaned archives deleted (in check mode, that would be deleted).
  returned: with O(state=pruned_orphans)
  type: list
  elements: dict
kept:
  description:
    - With O(state=pruned_orphans), the orphaned archives left in place, each with C(reason) V(protected) or
      V(young) (created less than O(older_than) ago).
  returned: with O(state=pruned_orphans)
  type: list
  elements: dict
pruned:
  description: The archives rotation (or O(state=pruned_orphans)) deleted (in check mode, would delete), newest first.
  returned: always
  type: list
  elements: str
  sample: ["local:backup/vzdump-qemu-101-2026_11_19-05_30_00.vma.zst"]
overwritten:
  description: With O(state=restored), whether an existing server was overwritten.
  returned: with O(state=restored)
  type: bool
stopped:
  description: With O(state=restored), whether the existing server was stopped first.
  returned: with O(state=restored)
  type: bool
safety_backup:
  description:
    - With O(state=restored), the volid of the backup made of the server before it was replaced; null when no
      server was replaced or O(backup_before=false).
  returned: with O(state=restored), also when the restore task failed
  type: str
  sample: "local:backup/vzdump-qemu-101-2026_11_29-16_30_00.vma.zst"
left:
  description:
    - When a restore task failed - what is left of the target vmid. C(exists) (false when it is gone), C(stub) (true
      for the empty stub real Proxmox VE leaves, without disks), C(disks) (drive keys left), C(config) (the config
      left, secrets masked; null when gone).
    - Restore RV(safety_backup) (O(force=true), O(backup_before=false)) to bring the server back.
  returned: when the restore task failed
  type: dict
  sample: {"exists": true, "stub": true, "disks": [], "config": {"memory": "128"}}
changes:
  description:
    - When a restore failed after it had changed something - what it did, in order (the guest stopped, the safety
      backup made, the restore task run). C(changed) is then true; a restore that failed before any change has
      C(changed=false) and no RV(changes).
  returned: when a restore failed after a change
  type: list
  elements: str
  sample: ["stopped VM 101", "made the safety backup local:backup/vzdump-qemu-101-2026_11_29-16_30_00.vma.zst"]
replaced_leftover:
  description:
    - With O(state=restored), true when O(vmid) held only what a failed restore leaves (an empty config, or the
      stub C(memory 128)); it was replaced without needing O(force) and without a safety backup.
  returned: with O(state=restored)
  type: bool
already_restored:
  description:
    - With O(state=restored), true when the server's description already says it was restored from O(volid)
      (a retried run); nothing was done.
  returned: with O(state=restored)
  type: bool
tasks:
  description:
    - The Proxmox VE tasks run (vzdump, qmstop, qmrestore, imgdel), as M(jotunheim.proxmox.jotun_task) returns them.
      With O(wait=false), the tasks just started, still running; pass them to M(jotunheim.proxmox.jotun_task).
  returned: always
  type: list
  elements: dict
  sample:
    - upid: "UPID:pve1:000A1B2C:00F00D12:65A1B2C3:vzdump:101:root@pam!jotun:"
      node: pve1
      type: vzdump
      id: "101"
      status: stopped
      exitstatus: OK
diff:
  description: The archives notes and protection before and after (O(state=present) with O(volid), O(state=absent)).
  returned: "in diff mode (C(--diff) or C(diff: true))"
  type: dict
  sample: {"before": {"notes": "", "protected": false}, "after": {"notes": "ticket 4711", "protected": true}}
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.backup.run import run_backup
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule


def main():
    module = ProxmoxModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "restored", "absent", "pruned_orphans"], default="present"),
            vmid=dict(type="int"),
            name=dict(type="str"),
            volid=dict(type="str"),
            storage=dict(type="str"),
            node=dict(type="str"),
            mode=dict(type="str", choices=["snapshot", "suspend", "stop"], default="snapshot"),
            compress=dict(type="str", choices=["zstd", "gzip", "lzo", "none"], default="zstd"),
            notes=dict(type="str"),
            protected=dict(type="bool"),
            max_age=dict(type="str"),
            keep_last=dict(type="int"),
            keep_hourly=dict(type="int"),
            keep_daily=dict(type="int"),
            keep_weekly=dict(type="int"),
            keep_monthly=dict(type="int"),
            keep_yearly=dict(type="int"),
            unprotect=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            force_stop=dict(type="bool", default=False),
            backup_before=dict(type="bool", default=True),
            unique=dict(type="bool", default=False),
            start=dict(type="bool", default=False),
            older_than=dict(type="str"),
        ),
        required_if=[("state", "restored", ["volid"]), ("state", "absent", ["volid"]),
                     ("state", "pruned_orphans", ["older_than"])],
        mutually_exclusive=[("vmid", "name")],
        supports_check_mode=True,
        wait=True,
    )
    module.run(run_backup)


if __name__ == "__main__":
    main()
