#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: jotun_server
short_description: Build, change, power, rebuild and delete a hosting server (QEMU guest) on Proxmox VE
version_added: 0.1.0
description:
  - Manages a hosting server's whole life in one idempotent task. A server is a QEMU guest cloned from a template
    and found by its O(name) anywhere in the cluster; its node never has to be given.
  - One run builds a server completely, each step only when needed - clone, wait for the clone to finish,
    configure, grow the boot disk, regenerate the cloud-init drive, start.
  - The module compares the guest's real config (pending values included) with the request after normalising
    both (booleans, sizes, MAC case, tag order, URL-encoded SSH keys) and sends only the differences, guarded by the
    config's C(digest). A server that needs no change costs at most 4 API requests and no write.
  - A server left half-built by an interrupted run (clone done, config not) converges on the next run. A server
    whose clone failed (left locked with C(lock=clone) and no clone task running) never ran and holds no data -
    the next run deletes and clones it again; O(state=absent) deletes it.
  - A new server's vmid is taken from C(/cluster/nextid); when a parallel build took it first, the next free one is
    used. Lock contention on the template (parallel clones) and transient errors are retried under O(wait_timeout).
    A request whose outcome is unknown (HTTP 596, dropped connection) is never sent blindly again - the module reads
    the real state and goes on from there.
  - A failed Proxmox VE task fails the module with the task's last log lines.
extends_documentation_fragment:
  - jotunheim.proxmox.connection
  - jotunheim.proxmox.wait
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the target.
    support: full
    details: Sends no write at all and reports what would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Shows the config keys, disk size and power state before and after, secrets masked.
options:
  name:
    description:
      - The server's name, unique across the cluster (a DNS name). A second guest with the same name is an error.
      - A template's name is refused (a server needs a name of its own).
    type: str
    required: true
  vmid:
    description:
      - The server's vmid. When absent, an existing server is found by O(name), and a new one gets a free vmid.
    type: int
  node:
    description:
      - The node for a new server. Defaults to the online node with the most free memory among the nodes the
        template can be cloned to.
      - Proxmox VE clones a template to another node only when all its volumes (disks, cloud-init drive, ISO) are
        on shared storage. A template on per-node storage builds only on its own node; when O(node) names another
        node, the template of the same name on O(node) is used if there is one, else the run fails before any
        change, naming O(node) and the template's storage.
      - An existing server is found wherever it is. When it is on another node, the run fails before any change
        unless O(allow_migrate=true), which moves it to O(node).
    type: str
  allow_migrate:
    description:
      - Move an existing server to O(node) when it is on another node (C(POST /nodes/{node}/qemu/{vmid}/migrate)),
        offline when it is stopped, live (C(online)) when it runs, copying disks on per-node storage
        (C(with-local-disks)) to the same storage on O(node), or to O(migrate_storage).
      - Checked before any change - the target node is online, has the storages (and room) for the server's local
        disks and, for a running server (or O(state=started)), enough free memory - else the run fails naming
        O(node) or O(migrate_storage).
      - V(false) keeps a typo in O(node) from moving a customer's server.
    type: bool
    default: false
  migrate_storage:
    description:
      - With O(allow_migrate), the storage on O(node) that the server's local disks are copied to
        (C(targetstorage)); by default each disk goes to the storage of the same name there.
    type: str
  state:
    description:
      - V(present) - the server exists and has the requested settings; its power state is left alone (a new server
        stays stopped).
      - V(started) - as V(present), and running.
      - V(stopped) - as V(present), and stopped - a graceful shutdown waiting up to O(shutdown_timeout) seconds, then a
        forced stop only when O(force_stop=true).
      - V(restarted) - as V(present), then rebooted (started when stopped). Acts on every run.
      - V(absent) - the server is deleted with its disks. A running server is stopped first only when
        O(force_stop=true).
      - V(rebuilt) - the server is reinstalled from O(template) and keeps everything but its disks' contents - vmid,
        name, node, pool, every config key (description, tags, CPU, memory, every network device with its MAC,
        bridge, VLAN, rate and firewall flag, cloud-init settings, protection, onboot, the system UUID, ...), the
        boot disk's options and size (grown back to the old size, or to a larger O(disk_size); never smaller),
        and its extra disks, which are B(recreated empty) at the same key, storage, size and options. This
        B(erases all its disks) and acts on every run that asks for it. The server is started again when it was
        running.
      - From the template come C(bios), C(machine), C(ostype), C(scsihw), C(boot), C(bootdisk), C(efidisk0),
        C(tpmstate0) (named in RV(warnings) when the old value differs), and a new C(vmgenid) and C(meta).
        The old C(cipassword) cannot be read back - give O(cipassword), else RV(warnings) says the server has the
        template's. Unused volumes and snapshots are lost with the old guest (named in RV(warnings)); its firewall
        rules and ACLs are deleted by Proxmox VE and not restored. The server stays in its backup jobs and HA
        (destroyed without purge); a protected server's protection is lifted for the rebuild and set again.
      - V(rescued) - the server boots the rescue ISO O(rescue_iso) with its disks attached - the ISO goes into its
        CD-ROM drive, which boots first, the old boot order is remembered in a last line of its description, and the
        server is started (rebooted when it was running). A later run with V(started) (or V(present), V(stopped),
        V(restarted)) puts the boot order back, ejects the ISO and, with V(started), reboots a running server into
        its own system. See docs/iso.md.
    type: str
    default: present
    choices: [present, started, stopped, restarted, absent, rebuilt, rescued]
  template:
    description:
      - The template to clone a new server from, by name or vmid. It may live on another node than the new server
        when its volumes are on shared storage (the clone then runs on the template's node with a target node).
      - By name, copies of one template kept on several nodes under the same name are all candidates; the one on
        the chosen node is used.
      - Required to build a server that does not exist yet and for O(state=rebuilt).
    type: str
  full_clone:
    description:
      - Make a full copy of the template's disks. V(false) makes a linked clone (same placement rules, on another
        node only from shared storage).
    type: bool
    default: true
  storage:
    description:
      - The storage for a full clone's disks. Defaults to the template's storage; for O(state=rebuilt), to the old
        boot disk's storage. For a clone to another node than the template's it must be shared storage available
        there.
      - It must exist and take content C(images); checked before the clone.
    type: str
  pool:
    description:
      - The resource pool the server is in. A new server is cloned into it; an existing one is moved into it
        (out of its old pool; on PVE 8.1 and later in one call with C(allow-move)).
      - An empty string takes the server out of its pool. Omitted, the pool is left as it is; O(state=rebuilt) puts
        the new server back into the old one's pool.
      - The pool must exist (pools are created in Proxmox VE itself).
    type: str
  cores:
    description: CPU cores per socket.
    type: int
  sockets:
    description: CPU sockets.
    type: int
  memory:
    description: Memory in MiB (at least 16).
    type: int
  balloon:
    description:
      - The minimum memory in MiB the balloon driver may shrink the server to (config key C(balloon));
        V(0) disables the balloon device. Not more than O(memory).
    type: int
  cpu_type:
    description:
      - The emulated CPU type (the C(cputype) of the C(cpu) config key), for example V(host), V(x86-64-v2-AES),
        V(kvm64), V(EPYC-Rome), or V(custom-NAME) for a cluster-wide custom model. Other C(cpu) properties
        (C(flags), ...) are kept.
      - Checked against Proxmox VE's built-in models before anything is written; V(x86-64-v2), V(x86-64-v2-AES),
        V(x86-64-v3) and V(x86-64-v4) need Proxmox VE 8.0 or later. Omitted on a server without C(cpu), Proxmox VE
        uses V(kvm64).
      - On a running server the change is pending until the next start (see RV(pending) and O(apply_pending)).
    type: str
  numa:
    description: Enable NUMA (config key C(numa)). Pending on a running server.
    type: bool
  cpu_limit:
    description:
      - The CPU time limit in CPUs (config key C(cpulimit)), V(0) to V(128), fractions allowed; V(0) is no limit.
    type: float
  cpu_units:
    description:
      - The CPU weight against other guests (config key C(cpuunits)); V(2) to V(10000) on Proxmox VE 7.x, V(1) to
        V(10000) from 8.0 (the default is 100 under cgroup v2, 1024 under 7.x's legacy cgroup v1). A value outside
        the cluster's range is refused before anything is written (Proxmox VE would clamp it (cgroup v2 from 10000
        up, v1 below 2, so every run would change it again).
    type: int
  disk_size:
    description:
      - The absolute size of the boot disk, for example V(40G) or V(1.5T) (binary units). The disk is only grown;
        a size below the current one (or, for a new server, below the template's disk) is an error, raised before
        anything is cloned or written.
      - A number without unit counts bytes; one below 1 MiB is refused as a forgotten unit ("did you mean 20G?").
      - With O(state=rebuilt), the new boot disk gets the larger of this and the old disk's size (a smaller one is
        named in RV(warnings)).
    type: str
  onboot:
    description: Start the server when its node boots.
    type: bool
  agent:
    description: Enable the QEMU guest agent device.
    type: bool
  tags:
    description:
      - The server's tags (order does not matter). An empty list removes all tags.
    type: list
    elements: str
  description:
    description: The server's description (notes). An empty string removes it.
    type: str
  bridge:
    description:
      - The bridge of the first network device (C(net0)), for example V(vmbr0). Never empty, no C(,), C(=), C(;).
      - A new server is placed only on a node that has this bridge; when O(node) lacks it the run fails before any
        change (Proxmox VE would build the server and fail to start it).
    type: str
  vlan:
    description: The VLAN tag of C(net0); V(0) removes the tag.
    type: int
  rate_limit:
    description: The rate limit of C(net0) in MB/s; V(0) removes the limit.
    type: float
  mac:
    description:
      - The MAC address of C(net0). When absent the existing (or generated) address is kept, also across rebuilds.
    type: str
  firewall:
    description: Protect C(net0) with the Proxmox VE firewall.
    type: bool
  ciuser:
    description: Cloud-init user name.
    type: str
  cipassword:
    description:
      - Cloud-init password. Proxmox VE never shows it back, so when it is set again is decided by
        O(password_update).
    type: str
  password_update:
    description:
      - V(on_create) - set O(cipassword) only when the server is built or rebuilt, or has no password yet. A given
        O(cipassword) not set because the server has one already is named in RV(warnings) (Proxmox VE never shows
        the password back, so whether it differs cannot be told).
      - V(always) - set it on every run (the run then always reports a change).
    type: str
    default: on_create
    choices: [always, on_create]
  password_via:
    description:
      - How a new O(cipassword) for an existing server reaches it (when O(password_update) sets it).
      - V(cloudinit) - stored for cloud-init only; the guest takes it at its next boot.
      - V(agent) - also set in the running guest at once, without a reboot, through the QEMU guest agent
        (C(POST .../agent/set-user-password), Linux and Windows) for the user O(ciuser) (or the server's
        C(ciuser), else V(root)); the run waits for the agent under O(wait_timeout). A password already passed
        through crypt() (C($6$...)) is sent as such. Fails, naming this option, before anything is written when the
        server's C(agent) config is off, when it is not running and O(state) does not start it, or when its agent
        does not answer within O(wait_timeout) (not installed or not running in the guest). Needs O(cipassword)
        (5 to 1024 characters) and O(wait=true). A new server gets its password from cloud-init at its first boot.
    type: str
    default: cloudinit
    choices: [cloudinit, agent]
  sshkeys:
    description: Cloud-init SSH public keys, one per item (OpenSSH format). An empty list removes them.
    type: list
    elements: str
  ipconfig:
    description:
      - Cloud-init IP settings, one item per network device (C(ipconfig0), C(ipconfig1), ...).
      - Each item is a dict with C(ip) and C(gw) (IPv4 in CIDR notation, or V(dhcp) for C(ip)) and C(ip6) and
        C(gw6) (IPv6, or V(dhcp)/V(auto) for C(ip6)), or the string V(dhcp).
      - Entries beyond the list are removed.
    type: list
    elements: raw
  nameservers:
    description: Cloud-init DNS servers. An empty list removes them.
    type: list
    elements: str
  searchdomain:
    description: Cloud-init DNS search domain.
    type: str
  apply_pending:
    description:
      - What to do when a running server holds changes it can only take at a restart (its pending values).
      - V(none) - report them in RV(pending) and leave the server running.
      - V(reboot) - reboot the server so they take effect.
    type: str
    default: none
    choices: [none, reboot]
  shutdown_timeout:
    description:
      - Seconds a graceful shutdown may take (O(state=stopped), and the shutdown of a reboot with O(state=restarted) or
        O(apply_pending=reboot)).
    type: int
    default: 120
  force_stop:
    description:
      - Stop the server hard when a graceful shutdown did not finish within O(shutdown_timeout) (a reboot stops
        it hard and starts it again), and stop a running server before deleting it (O(state=absent)).
    type: bool
    default: false
  iso:
    description:
      - The ISO image in the server's CD-ROM drive - a volid (C(local:iso/debian-12.iso)) or a file name looked up
        on the ISO storages of the server's node - or V(none) to eject.
      - The drive is the server's first CD-ROM drive that is not its cloud-init drive; without one, C(ide3) is
        added (the templates keep cloud-init on C(ide2)).
      - On a running server the change of medium waits for the next start (see O(apply_pending)).
    type: str
  boot_order:
    description:
      - The boot devices in order, like V([scsi0, ide3, net0]); each must exist on the server (after O(iso)).
        Written as Proxmox's C(boot) setting, C(order=...). On a running server it applies at the next start.
    type: list
    elements: str
  rescue_iso:
    description:
      - With O(state=rescued), the rescue ISO (a volid or a file name in the library, see M(jotunheim.proxmox.jotun_iso)).
    type: str
  purge:
    description: With O(state=absent), also remove the server from backup jobs, replication and HA.
    type: bool
    default: true
seealso:
  - module: jotunheim.proxmox.jotun_server_info
  - module: jotunheim.proxmox.jotun_task
author:
  - Jotunheim maintainers (@jotunheim)
"""

EXAMPLES = r"""
- name: Build web01 from the debian-12 template and start it
  jotunheim.proxmox.jotun_server:
    name: web01
    template: debian-12
    state: started
    cores: 2
    memory: 4096
    disk_size: 40G
    bridge: vmbr0
    vlan: 20
    tags: [customer-42, web]
    ciuser: ops
    sshkeys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheDocs ops@example
    ipconfig:
      - ip: 203.0.113.10/24
        gw: 203.0.113.1
    nameservers: [1.1.1.1, 9.9.9.9]

- name: Give web01 more memory and apply it with a reboot
  jotunheim.proxmox.jotun_server:
    name: web01
    memory: 8192
    apply_pending: reboot

- name: Start a build and come back later
  jotunheim.proxmox.jotun_server:
    name: web02
    template: ubuntu-24.04
    wait: false
  register: build

- name: Reinstall web01 (erases its disks' contents, keeps everything else - see state)
  jotunheim.proxmox.jotun_server:
    name: web01
    template: debian-12
    state: rebuilt
    cipassword: "{{ vault_web01_password }}"

- name: Stop web01, forcing it off after 60 seconds
  jotunheim.proxmox.jotun_server:
    name: web01
    state: stopped
    shutdown_timeout: 60
    force_stop: true

- name: Delete web01
  jotunheim.proxmox.jotun_server:
    name: web01
    state: absent
    force_stop: true
"""

RETURN = r"""
vmid:
  description: The server's vmid (null in check mode for a server not built yet).
  returned: always
  type: int
  sample: 101
node:
  description: The node the server is (or would be) on.
  returned: always
  type: str
  sample: pve1
pool:
  description: The resource pool the server is in after the run (null when in none, or unknown).
  returned: always
  type: str
  sample: customers
status:
  description: V(running), V(stopped) or V(absent) after the run.
  returned: always
  type: str
  sample: running
config:
  description:
    - The server's config after the run (pending values applied), as Proxmox VE shows it; C(cipassword) masked.
    - In check mode, the predicted config.
  returned: always
  type: dict
  sample: {"name": "web01", "cores": 2, "memory": "4096", "net0": "virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,tag=20"}
pending:
  description:
    - Changes a running server holds until its next restart, per config key - C(value) (current), C(pending)
      (new) and C(delete) (the key goes away).
  returned: always
  type: dict
  sample: {"memory": {"value": "4096", "pending": "8192", "delete": false}}
tasks:
  description:
    - The Proxmox VE tasks the run started or waited for (C(upid), C(node), C(type), C(status), C(exitstatus), ...).
    - With O(wait=false) the tasks of the step reached, still running.
  returned: always
  type: list
  elements: dict
step:
  description:
    - The step the run reached - V(done) when it finished; else the step whose task is running (V(clone),
      V(resize), V(start), V(shutdown), V(stop), V(reboot), V(destroy)) or the step that failed (also
      V(configure), V(cloudinit), V(pool), V(wait_unlocked)).
    - On a failure, C(changed) says whether anything was changed before or by that step; a step refused by
      Proxmox VE, a task that failed leaving the server as it was, or a lock that never cleared changes nothing.
  returned: always
  type: str
  sample: done
warnings:
  description:
    - What the run could not do as asked or, for O(state=rebuilt), could not carry over from the old server
      (never a password). Ansible also shows them as warnings.
  returned: when there are any
  type: list
  elements: str
  sample: ["cipassword: Proxmox VE never shows the old password back, so it cannot be carried over; ..."]
http_status:
  description: On a failed API call, its HTTP status (RV(status) is the server's power status).
  returned: failure
  type: int
  sample: 500
diff:
  description: The config keys, disk size and power state before and after (secrets masked).
  returned: "in diff mode (C(--diff) or C(diff: true))"
  type: dict
  sample: {"before": {"memory": 4096}, "after": {"memory": 8192}}
"""

from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import ProxmoxModule
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.run import run_module
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import migrate
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.spec import argument_spec


def main():
    module = ProxmoxModule(argument_spec=dict(argument_spec(), **migrate.argument_spec()), supports_check_mode=True,
                           wait=True)
    module.run(run_module)


if __name__ == "__main__":
    main()
