"""Seed a customer fleet: N guests spread over both nodes, as a hosting cluster holds them after months of builds.

``POST /_sim/seed`` (body ``{"guests": N, "start_vmid": 1000}``) or ``--seed-guests N`` at start adds them. Every
guest is what a linked clone of a seeded template becomes after ``jotun_server`` configured it: a disk
``local-lvm:base-<template>-disk-0/vm-<vmid>-disk-0`` (linked clones take no room on the thin pool), a cloud-init
drive, ``net0`` with a fresh MAC on ``vmbr0``, ``ipconfig0``, tags and, for most, a resource pool. The mix is
deterministic (by index) so tests can count:

- node: even indexes on pve1, odd ones on pve2;
- status: every 5th guest (index % 5 == 4) stopped, the others running for an hour (their agent answers);
- agent: index % 7 == 3 has no ``agent`` key (no agent configured), the others ``agent: 1``;
- tags: one of web/db/mail (index % 3), ``prod`` (index % 4 != 0) or ``staging``; index % 10 == 9 has no tags;
- pool: index % 6 in (0, 1, 3, 4) ``customers``, 2 ``internal``, 5 none;
- ipconfig0: static ``10.20.<i // 250>.<i % 250 + 2>/16`` (gw 10.20.0.1); index % 8 == 5 ``dhcp``; index % 4 == 1
  also a static IPv6 ``2001:db8::<vmid>/64``; index % 9 == 8 has a second NIC on ``vmbr1`` (VLAN tag 100+).
- names ``cust-<vmid>``, except: the guest at index 1 shares its name with index 0 (a customer reused a name),
  and the guest at index 2 has none (created through the API without a name).

The guests are added without a broadcast, as guests made between two pvestatd broadcasts: ``/cluster/resources``
lists them with status ``unknown`` and no name until the next one (``POST /_sim/broadcast`` forces it).
"""
from . import guestconfig as gc
from .errors import ApiError
from .model import GIB, Guest

TEMPLATE_OF_NODE = {"pve1": 9000, "pve2": 9002}
TAG_TIERS = ("web", "db", "mail")
POOLS = {0: "customers", 1: "customers", 2: "internal", 3: "customers", 4: "customers", 5: None}
MAX_GUESTS = 5000


def fleet_guest(state, index, vmid):
    """(node, config, running, pool) of the fleet guest at ``index`` (see the module doc for the mix)."""
    node = "pve1" if index % 2 == 0 else "pve2"
    template = TEMPLATE_OF_NODE[node]
    size = (8, 16, 32)[index % 3] * GIB
    disk = state.add_volume(node, "local-lvm", "base-%d-disk-0/vm-%d-disk-0" % (template, vmid), size, vmid)
    ci = state.add_volume(node, "local-lvm", "vm-%d-cloudinit" % vmid, 4 * 1024 * 1024, vmid)
    memory = (1024, 2048, 4096, 8192)[index % 4]
    config = {
        "boot": "order=scsi0;ide2;net0", "cores": (1, 2, 4)[index % 3], "ide2": ci.volid + ",media=cdrom",
        "memory": memory if state.release < (8, 4) else str(memory), "ciuser": "debian",
        "meta": "creation-qemu=9.0.2,ctime=1732590000", "net0": "virtio=%s,bridge=vmbr0" % state.new_mac(),
        "ostype": "l26", "scsi0": "%s,discard=on,size=%dG" % (disk.volid, size // GIB),
        "scsihw": "virtio-scsi-pci", "smbios1": "uuid=%s" % state.new_uuid(), "vmgenid": state.new_uuid(),
    }
    if index != 2:
        config["name"] = "cust-%d" % (vmid - 1 if index == 1 else vmid)
    if index % 7 != 3:
        config["agent"] = "1"
    if index % 10 != 9:
        config["tags"] = ";".join(sorted([TAG_TIERS[index % 3], "prod" if index % 4 else "staging"]))
    ipconfig = "ip=dhcp" if index % 8 == 5 else "ip=10.20.%d.%d/16,gw=10.20.0.1" % (index // 250, index % 250 + 2)
    if index % 4 == 1:
        ipconfig += ",ip6=2001:db8::%x/64" % vmid
    config["ipconfig0"] = ipconfig
    if index % 9 == 8:
        config["net1"] = "virtio=%s,bridge=vmbr1,tag=%d" % (state.new_mac(), 100 + index % 50)
    return node, config, index % 5 != 4, POOLS[index % 6]


def seed_guests(state, count, start_vmid=1000):
    """Add ``count`` fleet guests with vmids from ``start_vmid`` (state lock held by the caller); returns the
    vmids. Refused (400) when one of those vmids exists already: nothing is added then."""
    count, start_vmid = int(count), int(start_vmid)
    if not 0 <= count <= MAX_GUESTS:
        raise ApiError(400, "seed: guests must be between 0 and %d" % MAX_GUESTS)
    if start_vmid < 100:
        raise ApiError(400, "seed: start_vmid must be 100 or more")
    vmids = list(range(start_vmid, start_vmid + count))
    taken = [vmid for vmid in vmids if vmid in state.guests]
    if taken:
        raise ApiError(400, "seed: vmid %d exists already" % taken[0])
    now = state.clock.now()
    for index, vmid in enumerate(vmids):
        node, config, running, pool = fleet_guest(state, index, vmid)
        guest = Guest(vmid, node, config)
        guest.ci_generated = dict((k, v) for k, v in config.items() if gc.is_cloudinit_key(k))   # booted with it
        if running:
            guest.status, guest.qmpstatus, guest.started = "running", "running", now - 3600
        guest.pool = pool
        state.guests[vmid] = guest
    return vmids
