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
        template's. Unused volumes and snapshots are lost with the old guest (named in RV(warnings)); its ACLs are
        deleted by Proxmox VE and not restored. Its own firewall (options, IP sets, rules) is read before the
        destroy and written back to the new server. The server stays in its backup jobs and HA
        (destroyed without purge); a protected server's protection is lifted for the rebuild and set again.
      - What a rebuild carries is kept, from before its first change until the new server has it, in a config-only
        guest C(jotun-rebuild-<vmid>.<name>) that also reserves the name. A rebuild whose run does not see its end
        (O(wait=false) ends the run at the clone, O(wait_timeout) passing, a killed run) is finished by the next run
        of that server (any O(state)), which waits for the clone, writes the carried settings, firewall and data disks,
        and removes that guest; a run with V(rebuilt) that finds an unfinished rebuild finishes it and does not
        rebuild again. See docs/server.md "Rebuild".
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
  disks:
    description:
      - The server's data disks (every disk but the boot disk; CD-ROM and cloud-init drives, C(efidisk0) and
        C(tpmstate0) are never data disks). Not given - data disks are left alone.
      - A listed disk that does not exist is added, B(empty), on O(disks[].storage). One that exists is grown to
        O(disks[].size) when smaller (through the resize API, live on a running server) and never shrunk - a size
        below the disk's is refused before anything is written. Its options are changed in place (on a running
        server Proxmox VE applies C(discard), C(ssd), C(iothread) and C(cache) changes at the next start - see
        RV(pending)). An existing disk is never moved to another storage (RV(warnings) says so).
      - A new disk on a running server is plugged in at once when the server's C(hotplug) includes C(disk) (Proxmox
        VE's default) and it is a scsi or virtio disk; otherwise it waits for the next start (RV(pending)).
      - Data disks on the server that are not listed are left alone, unless O(remove_unlisted_disks=true).
      - With O(state=rebuilt), the rebuilt server's data disks are recreated B(empty) (their contents are lost
        like the boot disk's) and then brought to this list.
    type: list
    elements: dict
    suboptions:
      slot:
        description:
          - Where the disk is attached, as Proxmox VE names the drive - bus and number - V(scsi1), V(virtio1),
            V(sata1), V(ide1); V(scsi0)-V(scsi30), V(virtio0)-V(virtio15), V(sata0)-V(sata5), V(ide0)-V(ide3).
          - The boot disk's slot and a slot holding a CD-ROM or cloud-init drive are refused.
        type: str
        required: true
      size:
        description:
          - The disk's absolute size, as for O(disk_size) (V(20G), V(1.5T), binary units). Grown, never shrunk.
        type: str
        required: true
      storage:
        description:
          - The storage a new disk is allocated on. Defaults to O(storage), else the boot disk's storage. It must
            exist on the server's node and take content C(images); checked before anything is written.
        type: str
      discard:
        description: Pass discard (TRIM) requests to the storage (C(discard=on)). Not given - left as it is.
        type: bool
      ssd:
        description: Show the disk to the guest as an SSD (scsi, sata, ide only). Not given - left as it is.
        type: bool
      iothread:
        description:
          - Give the disk its own I/O thread (scsi and virtio only; for scsi, the server's C(scsihw) must be
            C(virtio-scsi-single)). Not given - left as it is.
        type: bool
      backup:
        description: Include the disk in backups (Proxmox VE's default). Not given - left as it is.
        type: bool
      cache:
        description: The disk's cache mode (V(none) is Proxmox VE's default). Not given - left as it is.
        type: str
        choices: [none, writethrough, writeback, unsafe, directsync]
  remove_unlisted_disks:
    description:
      - B(Deletes data.) Every data disk of the server that O(disks) does not list is detached and B(its volume
        deleted), and so is every detached volume (C(unusedN)) of the server. The contents are lost - RV(warnings)
        and the diff name every disk and volume deleted; check mode shows them and writes nothing.
      - Proxmox VE detaches a disk into C(unusedN) and deletes the volume only when that C(unusedN) is deleted,
        so this takes two config writes. On a running server a scsi or virtio disk is unplugged at once when
        C(hotplug) includes C(disk); otherwise the detach waits for the next start and the volume is deleted by
        the first run after that (RV(warnings) says so).
      - Refused before anything is written on a protected server or one with snapshots. Needs O(disks) (an empty
        list deletes every data disk).
    type: bool
    default: false
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
    description:
      - V(true) or V(false) - the C(firewall) flag of C(net0) alone (whether it passes the Proxmox VE firewall bridge),
        as before; the server's own firewall is left as it is.
      - A dict manages the server's own firewall (Proxmox VE C(/nodes/{node}/qemu/{vmid}/firewall)) and sets
        C(net0)'s flag to its C(enabled). Keys, each optional; a key not given leaves that part as it is.
      - C(enabled) (bool, default V(true)) - the guest firewall's C(enable) option and C(net0)'s C(firewall) flag.
        V(false) switches both off; the options, IP sets and rules stay stored.
      - C(ipfilter) (bool) - anti-spoofing. V(true) keeps the IP set C(ipfilter-net0) holding exactly the server's
        static addresses from C(ipconfig0) (C(ip) and C(ip6), not the gateways; updated when O(ipconfig) changes;
        the new address is added before the old one is removed) and sets the C(ipfilter) option, so C(net0) may
        only send from those addresses. It needs static addresses - a new server needs O(ipconfig); C(dhcp) or
        C(auto) is refused. V(false) deletes the set and clears the option (Proxmox VE applies an existing
        C(ipfilter-net0) set whatever the option says). V(true) is refused while a NIC besides C(net0) is on the
        firewall (C(firewall=1)) - with the option on, Proxmox VE lets such a NIC send only from its own
        C(ipfilter-netN) set, which this module does not fill, so it would lose its IPv4 traffic.
      - C(macfilter) (bool) - the C(macfilter) option (Proxmox VE's default is on).
      - C(policy_in), C(policy_out) - V(ACCEPT), V(REJECT) or V(DROP) (Proxmox VE's defaults are DROP and ACCEPT).
      - C(rules) - the server's B(complete) rule list, in order - rules on the server that are not listed are
        deleted (also ones made by hand), V([]) deletes all; leave C(rules) out to keep the rules as they are. Each
        rule is a dict with C(action) (V(ACCEPT), V(REJECT), V(DROP); required), C(direction) (V(in), the
        default, or V(out); C(type) is taken as a synonym), C(proto) (V(tcp), V(udp), V(icmp), ... or a number),
        C(dport), C(sport) (V(22), V(80,443), V(8000:8100); they need C(proto) tcp, udp, udplite, dccp or sctp),
        C(source), C(dest) (an address, CIDR, range V(a-b), a comma list of one family, V(+ipset) or an alias),
        C(comment), C(enabled) (default V(true)).
      - Everything is checked before anything is written (a wrong key or value fails naming it, for example
        C(firewall.policy_in)); an IP set or alias a rule names must exist in the server's or the cluster's firewall
        (C(+dc/name) the cluster's only, C(+guest/name) the server's), else the rule's key is named.
      - Check mode and diff mode show the options, IP sets and rules before and after (diff key C(firewall)); a
        second run writes nothing. RV(firewall) reports the result. V(state=rebuilt) keeps the server's whole
        firewall (options, IP sets, rules, also those this option does not manage).
    type: raw
  networks:
    description:
      - Extra network devices C(net1) .. C(net31) (C(net0) stays driven by O(bridge), O(vlan), O(rate_limit),
        O(mac) and O(firewall)), one item per NIC.
      - A NIC that does not exist yet is added (it needs O(networks[].bridge); Proxmox VE gives it a MAC unless
        O(networks[].mac) is given). An existing NIC is changed in place - what an item does not give (MAC,
        model, mtu, queues, ...) is kept.
      - NICs not listed are left alone, unless O(remove_unlisted_networks=true).
      - Checked before anything is written - index range, duplicates, VLAN and rate ranges, model, MAC syntax,
        and that the bridge is on the server's node (a new server's - before the clone). A VLAN tag on a Linux
        bridge that is not VLAN-aware is accepted (Proxmox VE builds a C(<bridge>v<tag>) VLAN bridge over its
        physical ports) unless that bridge has no physical port, which Proxmox VE could not plug.
      - On a running server a new NIC, a removal or a model/MAC change is applied at once when the server's
        C(hotplug) setting includes C(network) (the default), else it is pending until the next start (see
        RV(pending) and O(apply_pending)); bridge, VLAN, rate and firewall changes apply at once either way.
      - O(state=rebuilt) carries every NIC over with its MAC.
    type: list
    elements: dict
    suboptions:
      index:
        description:
          - The N of C(netN), V(1) to V(31). Defaults to the item's position plus one (the first item is C(net1)).
        type: int
      bridge:
        description: The bridge, for example V(vmbr1). Required for a NIC that does not exist yet.
        type: str
      vlan:
        description: The VLAN tag, V(1) to V(4094); V(0) removes the tag.
        type: int
      rate_limit:
        description: The rate limit in MB/s; V(0) removes the limit.
        type: float
      firewall:
        description: Protect this NIC with the Proxmox VE firewall (its C(firewall=1) flag).
        type: bool
      model:
        description:
          - The NIC model - V(virtio), V(e1000), V(e1000e), V(rtl8139), V(vmxnet3) or another model qemu-server
            knows (C(e1000-82540em), C(e1000-82544gc), C(e1000-82545em), C(i82551), C(i82557b), C(i82559er),
            C(ne2k_isa), C(ne2k_pci), C(pcnet); the same on every release). V(virtio) for a new NIC when not given;
            an existing NIC keeps its model (and MAC) unless given.
        type: str
      mac:
        description: The MAC address. When not given an existing NIC keeps its MAC, and a new one gets one from Proxmox VE.
        type: str
      ipconfig:
        description:
          - The cloud-init IP settings of this NIC (C(ipconfigN) for C(netN)) - a dict with C(ip), C(gw), C(ip6),
            C(gw6), or the string V(dhcp), as the items of O(ipconfig). Not given, C(ipconfigN) is left alone.
          - Giving the same NIC's settings both here and by position in O(ipconfig) is refused.
        type: raw
  remove_unlisted_networks:
    description:
      - Delete every NIC besides C(net0) that O(networks) does not list, with its C(ipconfigN) (unless O(ipconfig)
        sets that one). Needs O(networks) (V([]) removes every NIC but C(net0)).
      - Check mode and diff mode show the NICs that would go.
    type: bool
    default: false
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
      - Entries beyond the list are removed - unless O(networks) is given; then an extra NIC's C(ipconfigN) is set
        by its O(networks[].ipconfig) and removed only with its NIC (O(remove_unlisted_networks)).
      - An extra NIC's settings may be given here by position or in its O(networks) item, not both.
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

- name: Give web01 a second NIC on the VLAN-aware customer bridge, with its own address
  jotunheim.proxmox.jotun_server:
    name: web01
    networks:
      - bridge: vmbr1
        vlan: 100
        firewall: true
        ipconfig:
          ip: 10.100.0.10/24

- name: Keep only net0 and net1 (net2 and up are deleted with their ipconfigN)
  jotunheim.proxmox.jotun_server:
    name: web01
    networks:
      - bridge: vmbr1
        vlan: 100
    remove_unlisted_networks: true

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

- name: Give web01 a 100G data disk on ceph (grown later by raising size; never shrunk)
  jotunheim.proxmox.jotun_server:
    name: web01
    disks:
      - slot: scsi1
        size: 100G
        storage: ceph
        discard: true
        ssd: true

- name: Keep only scsi1 - DELETES every other data disk of web01 and its data
  jotunheim.proxmox.jotun_server:
    name: web01
    disks:
      - slot: scsi1
        size: 100G
    remove_unlisted_disks: true
- name: web01's own firewall - anti-spoofing, inbound closed but SSH and the web, outbound open
  jotunheim.proxmox.jotun_server:
    name: web01
    ipconfig:
      - ip: 203.0.113.10/24
        gw: 203.0.113.1
    firewall:
      ipfilter: true
      policy_in: DROP
      policy_out: ACCEPT
      rules:
        - {action: ACCEPT, proto: tcp, dport: "22", source: 198.51.100.0/24, comment: ssh from the office}
        - {action: ACCEPT, proto: tcp, dport: "80,443"}

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
      V(configure), V(cloudinit), V(firewall), V(pool), V(wait_unlocked), V(disks) - adding, changing or removing
      data disks).
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
firewall:
  description:
    - The server's own firewall after the run, when O(firewall) is a dict or a rebuild carried it over -
      C(enabled), C(ipfilter), C(macfilter), C(policy_in), C(policy_out) (Proxmox VE's defaults filled in),
      C(options) (as set), C(ipsets) (name - list of entries, C(!) before a nomatch entry) and C(rules) (C(pos),
      C(direction), C(action), C(enabled), C(proto), C(dport), C(source), ...). In check mode, the predicted one.
  returned: when O(firewall) is a dict, or O(state=rebuilt) rebuilt the server
  type: dict
  sample: {"enabled": true, "ipfilter": true, "macfilter": true, "policy_in": "DROP", "policy_out": "ACCEPT",
           "options": {"enable": 1, "ipfilter": 1, "policy_in": "DROP"}, "ipsets": {"ipfilter-net0": ["203.0.113.10"]},
           "rules": [{"pos": 0, "direction": "in", "action": "ACCEPT", "enabled": true, "proto": "tcp", "dport": "22"}]}
http_status:
  description: On a failed API call, its HTTP status (RV(status) is the server's power status).
  returned: failure
  type: int
  sample: 500
diff:
  description:
    - The config keys, disk size and power state before and after (secrets masked).
    - Data disks under their slot (V(scsi1), ...); a disk or volume O(remove_unlisted_disks) deletes shows
      C(DATA LOST) after.
    - C(firewall) - the server's own firewall before and after (C(options) with defaults filled in, C(ipsets),
      C(rules) one line each as in its C(.fw) file), when the run changes it.
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
