"""Plain data objects of the simulated cluster: nodes, storages, volumes, guests."""
import functools

GIB = 1024 ** 3
MIB = 1024 ** 2


def format_size(nbytes):
    """PVE's disk size notation: the largest unit that divides the size exactly (2G, 2560M, 1073741825)."""
    for unit, mult in (("T", 1024 ** 4), ("G", GIB), ("M", MIB), ("K", 1024)):
        if nbytes >= mult and nbytes % mult == 0:
            return "%d%s" % (nbytes // mult, unit)
    return str(nbytes)


def parse_size(text):
    """'2G', '2.5G', '512M', '1073741824' -> bytes."""
    mult = {"K": 1024, "M": MIB, "G": GIB, "T": 1024 ** 4}.get(text[-1:].upper())
    number = text[:-1] if mult else text
    return int(float(number) * (mult or 1))


@functools.lru_cache(maxsize=1024)
def _memory_mb(value):
    return int(str(value).split(",")[0].replace("current=", ""))


class Node:
    def __init__(self, name, nodeid, maxcpu, maxmem, ip):
        self.name, self.nodeid, self.maxcpu, self.maxmem, self.ip = name, nodeid, maxcpu, maxmem, ip
        self.base_mem = 3 * GIB


class Volume:
    def __init__(self, volid, size, vmid=None, content="images", fmt="raw", ctime=None):
        self.volid, self.size, self.vmid, self.content, self.format = volid, size, vmid, content, fmt
        self.ctime, self.notes, self.protected, self.config = ctime, None, False, None

    @property
    def name(self):
        return self.volid.split(":", 1)[1]


class Storage:
    def __init__(self, node, name, kind, content, total, base_used, path=None, shared=False):
        # a shared storage (storage.cfg `shared 1`: Ceph RBD, NFS, ...) is one object seen from every node it is
        # available on: node is None, its volumes and its space are one pool
        self.node, self.name, self.type, self.content = node, name, kind, content
        self.total, self.base_used, self.path, self.shared = total, base_used, path, shared
        self.volumes = {}
        self.full = False
        self.prune_backups = "keep-all=1"

    def used(self):
        if self.full:
            return self.total
        # linked clones ("base-9000-disk-0/vm-101-disk-0") share their base's blocks on a thin pool
        allocated = sum(v.size for v in self.volumes.values() if "/" not in v.name or v.content != "images")
        return min(self.total, self.base_used + allocated)

    def avail(self):
        return self.total - self.used()

    def info(self):
        used = self.used()
        return {"storage": self.name, "type": self.type, "content": ",".join(self.content), "active": 1,
                "enabled": 1, "shared": 1 if self.shared else 0, "total": self.total, "used": used, "avail": self.total - used,
                "used_fraction": round(used / float(self.total), 6)}


class Config(dict):
    """A guest config that counts its changes, so derived figures (disk totals) can be cached."""
    version = 0

    def _bump(self):
        Config.version += 1
        self.stamp = Config.version

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self._bump()

    def __delitem__(self, key):
        super().__delitem__(key)
        self._bump()

    def pop(self, *args):
        self._bump()
        return super().pop(*args)

    def setdefault(self, key, default=None):
        self._bump()
        return super().setdefault(key, default)

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self._bump()


class Guest:
    def __init__(self, vmid, node, config):
        self.vmid, self.node, self.config = vmid, node, config
        self._disk_cache = (None, {})
        self.pending, self.pending_delete = {}, []
        self.status, self.qmpstatus, self.started = "stopped", "stopped", None
        self.ci_generated = {}
        self.snapshots = {}
        self.pool = None              # the resource pool it belongs to (PVE keeps membership in user.cfg)

    @property
    def config(self):
        return self._config

    @config.setter
    def config(self, value):
        self._config = Config(value)
        self._config._bump()

    def cached(self, compute):
        """compute(self) cached until the config changes (one value per compute: the disk total, the boot disk's
        size)."""
        stamp = self._config.stamp
        if self._disk_cache[0] != stamp:
            self._disk_cache = (stamp, {})
        values = self._disk_cache[1]
        if compute not in values:
            values[compute] = compute(self)
        return values[compute]

    @property
    def lock(self):
        return self.config.get("lock")

    @property
    def template(self):
        return bool(self.config.get("template"))

    @property
    def name(self):
        return self.config.get("name") or "VM %d" % self.vmid      # qemu-server vmstatus: "VM $vmid" without one

    def memory_mb(self):
        return _memory_mb(self.config.get("memory", 512))

    def cpus(self):
        return int(self.config.get("cores", 1)) * int(self.config.get("sockets", 1))


def _uptime(self, clock):
    return int(clock.now() - self.started) if self.started else 0


Guest.uptime = _uptime
