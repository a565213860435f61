"""Backups: vzdump, extractconfig, restore/create (POST /nodes/{node}/qemu), prunebackups."""
import time

from . import guestconfig as gc
from . import prune as retention
from .errors import TaskError, fail, param_error, worker_error
from .guests import disk_total
from .model import GIB, Volume
from .progress import human, vzdump_lines
from .restore import create, restore
from .state import config_text

BACKUP_RATE = 0.8 * GIB       # bytes of disk per simulated second
EXTENSIONS = {"0": "vma", "1": "vma.lzo", "lzo": "vma.lzo", "gzip": "vma.gz", "zstd": "vma.zst"}
RATIOS = {"vma": 0.6, "vma.lzo": 0.45, "vma.gz": 0.35, "vma.zst": 0.33}


def create_or_restore(call):
    return restore(call) if call.params.get("archive") else create(call)


def _notes(template, guest, node):
    text = template.replace("{{guestname}}", guest.name).replace("{{vmid}}", str(guest.vmid))
    return text.replace("{{node}}", node).replace("{{cluster}}", "jotunheim").replace("\\n", "\n")


def _archive_config(guest):
    maps = ["#qmdump#map:%s:drive-%s:%s:raw:" % (k, k, gc.split_drive(v)[0].split(":", 1)[0])
            for k, v in sorted(guest.config.items()) if gc.DISK_KEY.match(k) and not gc.is_media(v)]
    config = {k: v for k, v in guest.config.items() if k != "lock"}
    return config_text(config) + "".join(line + "\n" for line in maps)


def _guest_lines(guest, ext, ctime, start, span, mode):
    stamp = time.strftime("%Y_%m_%d-%H_%M_%S", time.localtime(ctime))
    name = "vzdump-qemu-%d-%s.%s" % (guest.vmid, stamp, ext)
    size = disk_total(guest)
    lines = [(start, "INFO: Starting Backup of VM %d (qemu)" % guest.vmid),
             (start, "INFO: Backup started at %s" % time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ctime))),
             (start, "INFO: status = %s" % guest.status),
             (start, "INFO: backup mode: %s" % (mode if guest.status == "running" else "stop")),
             (start, "INFO: creating vzdump archive '/var/lib/vz/dump/%s'" % name)]
    lines += vzdump_lines(size, start + 0.5, span - 1.0)
    lines.append((start + span - 0.5, "INFO: transferred %s in %d seconds" % (human(size), int(span))))
    lines.append((start + span, "INFO: Finished Backup of VM %d (00:00:%02d)" % (guest.vmid, int(span) % 60)))
    return name, lines


def _plan(call, node, st):
    vmids = [int(v) for v in gc.split_list(call.params.get("vmid"))]
    if call.params.get("all"):
        vmids = sorted(g.vmid for g in call.state.guests.values() if g.node == node)
    elif call.params.get("pool"):
        call.state.check_pool(call.params["pool"])
        vmids = sorted(g.vmid for g in call.state.guests.values() if g.node == node and g.pool == call.params["pool"])
    if not vmids:
        raise param_error({"vmid": "property is missing and it is not optional"})
    local = [call.state.guests[v] for v in vmids if v in call.state.guests and call.state.guests[v].node == node]
    external = [v for v in vmids if v not in [g.vmid for g in local]]
    return local, external


def vzdump(call):
    state, node = call.state, call.params["node"]
    state.check_node(node)
    st = state.storage(node, call.params.get("storage", "local"))
    if "backup" not in st.content:
        raise fail("storage '%s' does not support backups" % st.name)
    local, external = _plan(call, node, st)
    ext = EXTENSIONS[call.params.get("compress", "0")]
    ready, failed, start = [], [], 0.5
    lines = [(0, "INFO: starting new backup job: vzdump %s --storage %s --mode %s"
              % (" ".join(str(g.vmid) for g in local), st.name, call.params.get("mode", "snapshot")))]
    if external:
        lines.append((0, "INFO: skip external VMs: %s" % ", ".join(map(str, external))))
    for guest in local:
        if guest.lock:
            failed.append("ERROR: Backup of VM %d failed - VM is locked (%s)" % (guest.vmid, guest.lock))
            continue
        if state.lock_until.get(guest.vmid, 0) > state.clock.mono():
            # another worker (a resize, hold_lock) holds the config file lock: vzdump's set_lock gives up
            failed.append("ERROR: Backup of VM %d failed - can't lock file '/var/lock/qemu-server/lock-%d.conf' "
                          "- got timeout" % (guest.vmid, guest.vmid))
            continue
        span = 1.5 + disk_total(guest) / BACKUP_RATE
        ctime = state.clock.unique_epoch()
        name, more = _guest_lines(guest, ext, ctime, start, span, call.params.get("mode", "snapshot"))
        ready.append((guest, name, _archive_config(guest), ctime))
        lines += more
        start += span
        guest.config["lock"] = "backup"
    return _start(call, st, ready, failed, lines, start, ext)


def _start(call, st, ready, failed, lines, duration, ext):
    state = call.state
    error = worker_error(failed, "job errors") if failed and not ready else None
    if st.full and ready:
        error = worker_error(["ERROR: Backup of VM %d failed - vma_queue_write: write error - No space left on device"
                              % g.vmid for g, _n, _c, _t in ready], "job errors")

    def unlock():
        for guest, _name, _cfg, _ctime in ready:
            if guest.config.get("lock") == "backup":
                guest.config.pop("lock")

    def on_ok():
        unlock()
        errors = list(failed)
        for guest, name, cfg, ctime in ready:
            errors += _store_archive(call, st, guest, name, cfg, ext, ctime)
        if errors:
            raise TaskError(worker_error(errors + ["INFO: Backup job finished with errors"], "job errors"))

    ident = str(ready[0][0].vmid) if len(ready) == 1 and not failed else ""
    lines.append((duration, "INFO: Backup job finished successfully" if not failed else "INFO: Backup job finished with errors"))
    natural = duration + 0.1

    def script(actual):
        return [(offset * actual / natural, text) for offset, text in lines]

    return call.start_task("vzdump", ident, natural, script, on_ok=on_ok, on_fail=lambda msg: unlock(), error=error)


def _store_archive(call, st, guest, name, cfg, ext, ctime):
    size = int(disk_total(guest) * RATIOS[ext] * 0.5) + 1024 * 1024
    if st.full or st.avail() < size:
        return ["ERROR: Backup of VM %d failed - vma_queue_write: write error - No space left on device" % guest.vmid]
    vol = Volume("%s:backup/%s" % (st.name, name), size, guest.vmid, "backup", ext, ctime)
    vol.config = cfg
    if call.params.get("notes-template"):
        vol.notes = _notes(call.params["notes-template"], guest, guest.node)
    vol.protected = bool(call.params.get("protected"))
    st.volumes[vol.volid] = vol
    if call.params.get("remove", 1):
        options = call.params.get("prune-backups") or st.prune_backups
        for entry in retention.select_storage(st, options, guest.vmid):
            if entry["mark"] == "remove":
                st.volumes.pop(entry["volid"], None)
    return []


def find_archive(call, volid):
    vol = call.state.find_volume(call.params["node"], volid) if ":" in volid else None
    if vol is None or vol.content != "backup":
        raise fail("volume '%s' does not exist" % volid)
    return vol


def extractconfig(call):
    call.state.check_node(call.params["node"])
    return find_archive(call, call.params["volume"]).config


def prune_dry_run(call):
    call.state.check_node(call.params["node"])
    st = call.state.storage(call.params["node"], call.params["storage"])
    options = call.params.get("prune-backups") or st.prune_backups
    return retention.select_storage(st, options, call.params.get("vmid"))


def prune(call):
    entries = prune_dry_run(call)
    st = call.state.storage(call.params["node"], call.params["storage"])
    doomed = [e["volid"] for e in entries if e["mark"] == "remove"]

    def on_ok():
        for volid in doomed:
            st.volumes.pop(volid, None)

    lines = lambda d: [(0, "removing backup '%s'" % v) for v in doomed]
    vmid = call.params.get("vmid")
    ident = ("%d@" % vmid if vmid else "") + st.name
    return call.start_task("prunebackups", ident, 0.3, lines, on_ok=on_ok)

