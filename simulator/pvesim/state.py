"""The simulated cluster: one lock around everything, seeded state, config-file locks."""
import hashlib
import random
import threading
import uuid

from . import isos
from .errors import fail
from .model import GIB, MIB, Guest, Node, Storage, Volume, format_size

CLUSTER_NAME = "jotunheim"
SEED_POOLS = {"customers": "Customer servers", "internal": "Our own infrastructure"}   # poolid -> comment
LOCK_TIMEOUT = 10.0          # simulated seconds a config-file lock is waited for
SEED_TEMPLATES = (           # vmid, node, name, disk size, memory
    (9000, "pve1", "debian-12", 2 * GIB, 2048),
    (9001, "pve1", "ubuntu-24.04", 3584 * MIB, 2048),
    (9002, "pve2", "rocky-9", 10 * GIB, 2048),
)
# Shared storage (storage.cfg `shared 1`, no `nodes` restriction): one pool of space seen by every node.
SHARED_STORAGES = (          # name, type, content, total, base used
    ("ceph-vm", "rbd", ["images"], 1024 * GIB, 120 * GIB),
)
SHARED_TEMPLATES = (         # vmid, node (where its config lives), name, disk size, memory, storage
    (9003, "pve2", "debian-12-ceph", 2 * GIB, 2048, "ceph-vm"),
)


def config_text(config):
    """The guest config as PVE writes it (sorted 'key: value' lines); its sha1 is the digest."""
    return "".join("%s: %s\n" % (k, config[k]) for k in sorted(config))


def digest(config, pending=None, pending_delete=()):
    """sha1 of the config file: the current section plus the [PENDING] section, as PVE hashes it."""
    text = config_text(config)
    if pending or pending_delete:
        extra = dict(pending or {})
        if pending_delete:
            extra["delete"] = ",".join(pending_delete)
        text += "\n[PENDING]\n" + config_text(extra)
    return hashlib.sha1(text.encode()).hexdigest()


def guest_digest(guest):
    return digest(guest.config, guest.pending, guest.pending_delete)


class State:
    def __init__(self, clock, release, seed=None):
        self.clock, self.release = clock, release
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.seed = seed
        self.reset()

    def reset(self):
        with self.lock:
            self.rng = random.Random(self.seed)
            self.nodes = {n.name: n for n in (Node("pve1", 1, 16, 64 * GIB, "192.168.100.11"),
                                               Node("pve2", 2, 16, 64 * GIB, "192.168.100.12"))}
            self.storages = {}
            self.unavailable = {}    # (node, storage) -> Storage left out of that node (fault storage_unavailable)
            for node in self.nodes:
                self.storages[(node, "local")] = Storage(node, "local", "dir", ["iso", "vztmpl", "backup", "snippets"],
                                                         100 * GIB, 9 * GIB, "/var/lib/vz")
                self.storages[(node, "local-lvm")] = Storage(node, "local-lvm", "lvmthin", ["images", "rootdir"],
                                                             200 * GIB, 0)
            for node in self.nodes:
                isos.seed(self, node)
            for name, kind, content, total, used in SHARED_STORAGES:
                shared = Storage(None, name, kind, content, total, used, shared=True)
                for node in self.nodes:
                    self.storages[(node, name)] = shared
            self.networks = dict((node.name, node_networks(node)) for node in self.nodes.values())
            self.task_locks = {}     # vmid -> {holder: (mode "shared"|"exclusive", until)}: config locks of workers
            self.guests = {}
            self.firewall = {}      # vmid -> a guest's /etc/pve/firewall/<vmid>.fw (pvesim/firewall.py)
            self.cluster_firewall = {"ipset": {}, "ipset_comments": {}, "aliases": {}}    # cluster.fw, looked up
            self.pools = dict(SEED_POOLS)
            self.lock_until = {}
            for vmid, node, name, size, memory in SEED_TEMPLATES:
                self._seed_template(vmid, node, name, size, memory)
            for vmid, node, name, size, memory, storage in SHARED_TEMPLATES:
                self._seed_template(vmid, node, name, size, memory, storage)
            if hasattr(self, "on_reset"):
                self.on_reset()
            self.cond.notify_all()

    def _seed_template(self, vmid, node, name, size, memory, storage="local-lvm"):
        disk = self.add_volume(node, storage, "base-%d-disk-0" % vmid, size, vmid)
        ci = self.add_volume(node, storage, "vm-%d-cloudinit" % vmid, 4 * MIB, vmid)
        config = {
            "agent": "1", "boot": "order=scsi0;ide2;net0", "cores": 2, "ide2": ci.volid + ",media=cdrom",
            "ipconfig0": "ip=dhcp", "memory": memory if self.release < (8, 4) else str(memory),
            "meta": "creation-qemu=9.0.2,ctime=1732590000", "name": name, "net0": "virtio=%s,bridge=vmbr0" % self.new_mac(),
            "ostype": "l26", "scsi0": "%s,discard=on,size=%s" % (disk.volid, format_size(size)),
            "scsihw": "virtio-scsi-pci", "serial0": "socket", "smbios1": "uuid=%s" % self.new_uuid(),
            "template": 1, "vga": "serial0", "vmgenid": self.new_uuid(),
        }
        self.guests[vmid] = Guest(vmid, node, config)

    # -- helpers -------------------------------------------------------------------------------------------------
    def new_mac(self):
        return "BC:24:11:" + ":".join("%02X" % self.rng.randrange(256) for _ in range(3))

    def new_uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def storage(self, node, name):
        st = self.storages.get((node, name))
        if st is None:
            raise fail("storage '%s' does not exist" % name)
        return st

    def storage_views(self):
        """[(node, storage)] for every storage as each node sees it (a shared storage once per node)."""
        return sorted(self.storages.items(), key=lambda item: item[0])

    def unique_storages(self):
        """Every storage once (a shared storage is one object under every node's key)."""
        seen, out = set(), []
        for _key, st in self.storage_views():
            if id(st) not in seen:
                seen.add(id(st))
                out.append(st)
        return out

    def volume_is_shared(self, node, volid):
        """pve-storage storage_config(...)->{shared} for the storage of ``volid`` (ISO and cloud-init volumes too)."""
        st = self.storages.get((node, volid.split(":", 1)[0]))
        return bool(st and st.shared)

    def bridges(self, node):
        """The names of the Linux bridges configured on ``node``."""
        return sorted(k for k, v in self.networks.get(node, {}).items() if v["type"] in ("bridge", "OVSBridge"))

    def add_volume(self, node, storage, name, size, vmid, content="images", fmt="raw", ctime=None):
        st = self.storage(node, storage)
        vol = Volume("%s:%s" % (storage, name), size, vmid, content, fmt, ctime)
        st.volumes[vol.volid] = vol
        return vol

    def find_volume(self, node, volid):
        storage = volid.split(":", 1)[0]
        st = self.storages.get((node, storage))
        return st.volumes.get(volid) if st else None

    def free_volume(self, node, volid):
        storage = volid.split(":", 1)[0]
        st = self.storages.get((node, storage))
        if st:
            st.volumes.pop(volid, None)

    def guest(self, node, vmid):
        """The guest on that node, else PVE's missing-config error."""
        guest = self.guests.get(int(vmid))
        if guest is None or guest.node != node:
            raise fail("Configuration file 'nodes/%s/qemu-server/%s.conf' does not exist" % (node, vmid))
        return guest

    def check_node(self, node):
        if node not in self.nodes:
            raise fail("hostname lookup '%s' failed - failed to get address info for: %s: "
                       "Name or service not known" % (node, node))

    def check_pool(self, poolid):
        """PVE checks a pool named in create/clone/restore before it starts the worker."""
        if poolid is not None and poolid not in self.pools:
            raise fail("pool '%s' does not exist" % poolid)

    def next_vmid(self):
        vmid = 100
        while vmid in self.guests:
            vmid += 1
        return vmid

    # -- config file locks (flock in /var/lock/qemu-server) --------------------------------------------------------
    def config_lock(self, vmid, hold=0.0):
        """Wait (state lock released) for vmid's config lock; keep it for `hold` simulated seconds."""
        deadline = self.clock.deadline(LOCK_TIMEOUT)
        while True:
            now = self.clock.mono()
            until = max([self.lock_until.get(vmid, 0)] + [u for _m, u in self.task_locks.get(vmid, {}).values()])
            if until <= now:
                break
            if now >= deadline:
                raise fail("can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout" % vmid)
            self.cond.wait(min(until, deadline) - now)
        if hold > 0:
            self.lock_until[vmid] = self.clock.deadline(hold)

    def hold_config_lock(self, vmid, sim_seconds):
        self.lock_until[vmid] = max(self.lock_until.get(vmid, 0), self.clock.deadline(sim_seconds))

    def lock_free_at(self, vmid, mode):
        """When (monotonic) ``vmid``'s config lock can be had in ``mode``: a shared lock waits only for exclusive
        holders (flock LOCK_SH, PVE::AbstractConfig lock_config_shared), an exclusive one for every holder."""
        until = self.lock_until.get(vmid, 0)           # held by a synchronous caller or the hold_lock fault
        for held_mode, held_until in self.task_locks.get(vmid, {}).values():
            if mode == "exclusive" or held_mode == "exclusive":
                until = max(until, held_until)
        return until

    def take_task_lock(self, vmid, mode, holder, sim_seconds):
        self.task_locks.setdefault(vmid, {})[holder] = (mode, self.clock.deadline(sim_seconds))

    def release_task_locks(self, holder):
        for vmid in list(self.task_locks):
            self.task_locks[vmid].pop(holder, None)
            if not self.task_locks[vmid]:
                del self.task_locks[vmid]
        self.cond.notify_all()

    def release_config_lock(self, vmid):
        self.lock_until.pop(vmid, None)
        self.cond.notify_all()


def node_networks(node):
    """/etc/network/interfaces of a node as GET /nodes/{node}/network reports it: two NICs, the management bridge
    vmbr0 and the VLAN-aware guest bridge vmbr1 (pve-common PVE::INotify read_etc_network_interfaces)."""
    prefix = node.ip.rsplit(".", 1)[0]
    return {
        "eno1": {"iface": "eno1", "type": "eth", "method": "manual", "families": ["inet"], "exists": 1, "active": 1,
                 "priority": 3},
        "eno2": {"iface": "eno2", "type": "eth", "method": "manual", "families": ["inet"], "exists": 1, "active": 1,
                 "priority": 4},
        "vmbr0": {"iface": "vmbr0", "type": "bridge", "method": "static", "families": ["inet"], "autostart": 1,
                  "active": 1, "address": node.ip, "netmask": "24", "cidr": node.ip + "/24",
                  "gateway": prefix + ".1", "bridge_ports": "eno1", "bridge_stp": "off", "bridge_fd": "0",
                  "priority": 5},
        "vmbr1": {"iface": "vmbr1", "type": "bridge", "method": "manual", "families": ["inet"], "autostart": 1,
                  "active": 1, "bridge_ports": "eno2", "bridge_stp": "off", "bridge_fd": "0",
                  "bridge_vlan_aware": 1, "bridge_vids": "2-4094", "comments": "customer VLANs\n", "priority": 6},
    }
