"""Cluster and node endpoints: /version, /nodes, node status, /cluster/status, /cluster/resources, nextid."""
import threading

from .errors import param_error
from .guests import boot_disk_size

VERSIONS = {(7, 4): ("7.4-3", "9f0d2f3e"), (8, 0): ("8.0.4", "d258a813cfa6b390"),
            (8, 4): ("8.4.1", "2a5fa54a8503f96d"), (9, 1): ("9.1.1", "42db4a6cf33dac83")}


def version(call):
    ver, repoid = VERSIONS[call.sim.release]
    return {"version": ver, "release": "%d.%d" % call.sim.release, "repoid": repoid}


def _node_usage(state, node):
    running = [g for g in state.guests.values() if g.node == node.name and g.status == "running"]
    mem = node.base_mem + sum(g.memory_mb() * 1024 * 1024 for g in running)
    cpu = min(1.0, 0.02 + 0.03 * len(running))
    return round(cpu, 4), min(mem, node.maxmem)


def nodes(call):
    out = []
    for node in call.state.nodes.values():
        cpu, mem = _node_usage(call.state, node)
        out.append({"node": node.name, "status": "online", "type": "node", "id": "node/" + node.name, "level": "",
                    "cpu": cpu, "maxcpu": node.maxcpu, "mem": mem, "maxmem": node.maxmem,
                    "disk": 6 * 1024 ** 3, "maxdisk": 94 * 1024 ** 3, "uptime": 864000,
                    "ssl_fingerprint": "5E:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7:F8:09:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5:D6:E7:F8"})
    return out


def node_index(call):
    call.state.check_node(call.params["node"])
    return [{"name": n} for n in ("qemu", "storage", "tasks", "status", "vzdump", "version")]


def node_status(call):
    call.state.check_node(call.params["node"])
    node = call.state.nodes[call.params["node"]]
    cpu, mem = _node_usage(call.state, node)
    ver = VERSIONS[call.sim.release][0]
    return {"cpu": cpu, "wait": 0.0012, "idle": 0, "uptime": 864000, "loadavg": ["0.42", "0.37", "0.31"],
            "memory": {"total": node.maxmem, "used": mem, "free": node.maxmem - mem},
            "swap": {"total": 8 * 1024 ** 3, "used": 0, "free": 8 * 1024 ** 3},
            "rootfs": {"total": 94 * 1024 ** 3, "used": 6 * 1024 ** 3, "free": 88 * 1024 ** 3, "avail": 83 * 1024 ** 3},
            "cpuinfo": {"cpus": node.maxcpu, "sockets": 1, "cores": node.maxcpu // 2, "model": "Simulated CPU @ 3.00GHz",
                        "mhz": "3000.000", "hvm": "1", "flags": "", "user_hz": 100},
            "pveversion": "pve-manager/%s/%s" % (ver, VERSIONS[call.sim.release][1]),
            "kversion": "Linux 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4", "ksm": {"shared": 0},
            "boot-info": {"mode": "efi", "secureboot": 0}}


def cluster_status(call):
    nodes_ = call.state.nodes.values()
    out = [{"type": "cluster", "id": "cluster", "name": "jotunheim", "nodes": len(nodes_), "quorate": 1, "version": 2}]
    for node in nodes_:
        out.append({"type": "node", "id": "node/" + node.name, "name": node.name, "ip": node.ip, "level": "",
                    "local": 1 if node.nodeid == 1 else 0, "nodeid": node.nodeid, "online": 1})
    return out


def vm_stats(state, guest):
    """What pvestatd broadcasts for one guest (qemu-server vmstatus): name ("VM N" without one), status (the QMP
    status of a running guest), template, uptime and the usage figures; 9.x adds memhost (pve-vm-9.0 format)."""
    config = guest.config
    running = guest.status == "running"
    maxmem = guest.memory_mb() * 1048576
    mem = maxmem * 2 // 5 if running else 0
    out = {"name": config.get("name") or "VM %d" % guest.vmid,
           "status": (guest.qmpstatus or "running") if running else "stopped",
           "template": 1 if config.get("template") else 0,
           "uptime": int(state.clock.now() - guest.started) if running and guest.started else 0,
           "maxcpu": guest.cpus(), "cpu": 0.013 if running else 0, "maxmem": maxmem, "mem": mem,
           "maxdisk": boot_disk_size(guest), "disk": 0, "netin": 0, "netout": 0, "diskread": 0, "diskwrite": 0}
    if state.release >= (9, 0):
        out["memhost"] = mem
    return out


class Broadcast:
    """pvestatd's status broadcast (pve-manager PVE/Service/pvestatd.pm, every 10 s) as /cluster/resources sees it.

    Each broadcast snapshots vm_stats() of every guest; /cluster/resources reads those stats and only `lock`,
    `tags` (the config), `node` (the vmlist) and `pool` (user.cfg) live. interval is in simulated seconds;
    0 means every answer is live (for tests that are not about the lag)."""

    def __init__(self, state, interval=10.0):
        self.state, self.clock = state, state.clock
        self.interval = float(interval)
        self.stats = {}              # vmid -> vm_stats() at the last broadcast
        self.next_due = 0.0          # monotonic instant of the next broadcast
        self.on_broadcast = None     # called (state lock held) before a snapshot: lets finished tasks land first
        self._stop = threading.Event()
        self.threaded = False

    def run_now(self):
        """Take a snapshot (state lock held by the caller) and schedule the next one."""
        if self.on_broadcast:
            self.on_broadcast()
        self.stats = {vmid: vm_stats(self.state, g) for vmid, g in self.state.guests.items()}
        self.next_due = self.clock.deadline(self.interval) if self.interval > 0 else 0.0

    def catch_up(self):
        """Without the broadcaster thread (in-process use): a due broadcast is taken at the next read."""
        if not self.threaded and self.interval > 0 and self.clock.mono() >= self.next_due:
            self.run_now()

    def run_thread(self):
        self.threaded = True
        real = max(0.005, self.clock.real(self.interval)) if self.interval > 0 else 1.0

        def loop():
            while not self._stop.wait(max(0.0, self.next_due - self.clock.mono()) if self.interval > 0 else real):
                if self.interval > 0:
                    with self.state.lock:
                        if self.clock.mono() >= self.next_due:
                            self.run_now()
        thread = threading.Thread(target=loop, name="pvesim-pvestatd", daemon=True)
        thread.start()
        return thread

    def stop(self):
        self._stop.set()

    def stats_of(self, guest):
        if self.interval <= 0:
            return vm_stats(self.state, guest)
        return self.stats.get(guest.vmid)


def guest_resource(state, guest):
    """One /cluster/resources entry (pve-manager API2Tools.pm extract_vm_stats + API2/Cluster.pm resources): id,
    vmid, node, type and status 'unknown' always; the last broadcast's stats when there are any (none for a guest
    made since: no name, status 'unknown'); lock and tags from the config; pool from user.cfg."""
    broadcast = getattr(state, "broadcast", None)
    stats = broadcast.stats_of(guest) if broadcast is not None else vm_stats(state, guest)
    out = {"id": "qemu/%d" % guest.vmid, "type": "qemu", "vmid": guest.vmid, "node": guest.node, "status": "unknown"}
    if stats:
        out.update(stats)
    config = guest.config
    if "lock" in config:
        out["lock"] = config["lock"]
    if config.get("tags"):
        out["tags"] = config["tags"]
    if guest.pool:
        out["pool"] = guest.pool
    return out


def resources(call):
    kind = call.params.get("type")
    out = []
    if kind in (None, "vm"):
        call.sim.broadcast.catch_up()
        out += [guest_resource(call.state, g) for g in sorted(call.state.guests.values(), key=lambda g: g.vmid)]
    if kind in (None, "node"):
        for n in nodes(call):
            out.append(dict(n))
    if kind is None:
        out += [{"id": "/pool/%s" % p, "type": "pool", "pool": p} for p in sorted(call.state.pools)]
    if kind in (None, "storage"):
        for (node, _name), st in call.state.storage_views():     # a shared storage: one entry per node
            used = st.used()
            out.append({"id": "storage/%s/%s" % (node, st.name), "type": "storage", "storage": st.name,
                        "node": node, "status": "available", "plugintype": st.type, "content": ",".join(st.content),
                        "shared": 1 if st.shared else 0, "disk": used, "maxdisk": st.total})
    return out


def nextid(call):
    wanted = call.params.get("vmid")
    if wanted is not None:
        if wanted in call.state.guests:
            raise param_error({"vmid": "VM %d already exists" % wanted})
        return str(wanted)
    return str(call.state.next_vmid())


def storage_index(call):
    seen, out = set(), []
    for st in call.state.storages.values():
        if st.name not in seen and (not call.params.get("type") or call.params["type"] == st.type):
            seen.add(st.name)
            item = {"storage": st.name, "type": st.type, "content": ",".join(st.content), "digest": "0" * 40}
            if st.path:
                item["path"] = st.path
            if st.shared:
                item["shared"] = 1
            out.append(item)
    return out
