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
VZDUMP_LOCK = "/var/run/vzdump.lock"
LOCKWAIT_MINUTES = 180        # vzdump's default lockwait
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


def _plan(call, node):
    """(local guests, missing vmids, external vmids) as PVE::VZDump::get_included_guests splits the job.

    vmids of guests on other nodes are skipped ("skip external VMs"); vmids no node has are kept and fail visibly
    ("unable to find VM"). Guests of a pool or of `all` are only this node's.
    """
    vmids = [int(v) for v in gc.split_list(call.params.get("vmid"))]
    if call.params.get("all"):
        vmids = sorted(g.vmid for g in call.state.guests.values() if g.node == node)
    elif call.params.get("pool"):
        call.state.check_pool(call.params["pool"])
        vmids = sorted(g.vmid for g in call.state.guests.values() if g.pool == call.params["pool"])
    elif not vmids:
        raise param_error({"vmid": "property is missing and it is not optional"})
    guests = call.state.guests
    local = [guests[v] for v in vmids if v in guests and guests[v].node == node]
    missing = [v for v in vmids if v not in guests]
    external = [v for v in vmids if v in guests and guests[v].node != node]
    return local, missing, external


def _node_job(engine, node):
    """The vzdump task holding the node's global lock (/var/run/vzdump.lock), if any, and those waiting for it."""
    holder, waiting = None, []
    for task in engine.running.values():
        job = getattr(task, "vzdump_job", None)
        if job is None or task.node != node:
            continue
        if job.active:
            holder = task
        else:
            waiting.append(task)
    return holder, sorted(waiting, key=lambda t: t.start_mono)


def vzdump(call):
    """POST /nodes/{node}/vzdump (pve-manager PVE/API2/VZDump.pm, PVE/VZDump.pm).

    Answers the string "OK" (no task) when none of the named guests is on this node; otherwise a vzdump UPID. Only one
    job per node runs: a later one logs "trying to get global lock - waiting...", starts when the holder ends and
    fails after `lockwait` minutes (default 180). Each guest gets `lock: backup` when the job reaches it and loses it
    (its archive written) when its backup ends.
    """
    state, node = call.state, call.params["node"]
    state.check_node(node)
    st = state.storage(node, call.params.get("storage", "local"))
    if "backup" not in st.content:
        raise fail("storage '%s' does not support backups" % st.name)
    local, missing, external = _plan(call, node)
    if not local and not missing and not call.params.get("all"):
        return "OK"
    job = VzdumpJob(call, st, local, missing, external)
    holder, _waiting = _node_job(call.sim.tasks, node)
    ident = str((local[0].vmid if local else missing[0])) if len(local) + len(missing) == 1 else ""
    if holder is None:
        upid = call.start_task("vzdump", ident, job.duration(), job.script, on_ok=job.on_ok, on_fail=job.on_fail)
        job.attach(call.sim.tasks.tasks[upid], 0.0)
        return upid
    wait = 60.0 * (call.params.get("lockwait") or LOCKWAIT_MINUTES)
    waiting = [(0, "INFO: trying to get global lock - waiting...")]
    upid = call.start_task("vzdump", ident, wait, lambda d: list(waiting), on_ok=job.on_ok, on_fail=job.on_fail)
    task = call.sim.tasks.tasks[upid]
    task.vzdump_job = job
    job.task = task
    # the fault (if any) was scripted for the wait; it is moved onto the backup once the lock is got
    job.fault_fraction = task.fail_at / task.duration if task.fail_at is not None else None
    task.fail_message = "unexpected status"
    task.fail_at = wait
    task.lines.append((wait, "ERROR: can't acquire lock '%s' - got timeout" % VZDUMP_LOCK))
    return upid


class VzdumpJob:
    """One vzdump worker: its per-guest steps are task events, so locks and archives change as the job goes."""

    def __init__(self, call, st, local, missing, external):
        self.call, self.state, self.st = call, call.state, st
        self.local, self.missing, self.external = local, missing, external
        self.mode = call.params.get("mode", "snapshot")
        self.ext = EXTENSIONS[call.params.get("compress", "0")]
        self.active, self.task, self.released = False, None, False
        self.fault_fraction = None
        self.locked, self.errors = [], []
        self._lines, self._events, self._end = self._build()

    def _build(self):
        state = self.state
        lines = [(0, "INFO: starting new backup job: vzdump %s --storage %s --mode %s"
                  % (" ".join(str(g.vmid) for g in self.local), self.st.name, self.mode))]
        if self.external:
            lines.append((0, "INFO: skip external VMs: %s" % ", ".join(map(str, self.external))))
        events, start, ready = [], 0.5, 0
        for vmid in self.missing:
            lines.append((start, "ERROR: Backup of VM %d failed - unable to find VM '%d'" % (vmid, vmid)))
            self.errors.append("ERROR: Backup of VM %d failed - unable to find VM '%d'" % (vmid, vmid))
        for guest in self.local:
            if guest.lock:
                self.errors.append("ERROR: Backup of VM %d failed - VM is locked (%s)" % (guest.vmid, guest.lock))
                continue
            if state.lock_until.get(guest.vmid, 0) > state.clock.mono():
                # another worker (a resize, hold_lock) holds the config file lock: vzdump's set_lock gives up
                self.errors.append("ERROR: Backup of VM %d failed - can't lock file '/var/lock/qemu-server/lock-%d.conf' "
                                   "- got timeout" % (guest.vmid, guest.vmid))
                continue
            span = 1.5 + disk_total(guest) / BACKUP_RATE
            ctime = state.clock.unique_epoch()
            name, more = _guest_lines(guest, self.ext, ctime, start, span, self.mode)
            lines += more
            events.append((start, lambda g=guest: self._reach(g)))
            events.append((start + span - 0.25, lambda g=guest, n=name, c=_archive_config(guest), t=ctime:
                           self._done(g, n, c, t)))
            start += span
            ready += 1
        self.ready = ready
        lines.append((start, "INFO: Backup job finished successfully" if not self.errors
                      else "INFO: Backup job finished with errors"))
        return lines, events, start + 0.1

    def duration(self):
        return self._end

    def stretch(self, actual):
        """Offset mapping when the task lasts `actual` simulated seconds (a task_duration fault): the job's first
        0.5 s (start, first guest reached) stays as it is, the guests' backups stretch."""
        head = min(0.5, self._end)
        span = max(self._end - head, 1e-9)
        factor = max(actual - head, 0.0) / span
        return lambda t: t if t <= head else head + (t - head) * factor

    def script(self, actual):
        """The task's log; the engine calls it once the task has its start time. The guests' archive times (their
        names' stamps) are taken now, never before the task started, as vzdump stamps each guest's archive in the
        worker when it reaches it (PVE/VZDump.pm exec_backup_task: $task->{backup_time} = time()). Stamped when the
        request arrived, an archive could predate its own task when the machine was slow - no backup looks like that.
        """
        self.errors, self.locked = [], []
        self._lines, self._events, self._end = self._build()
        at = self.stretch(actual)
        return [(at(offset), text) for offset, text in self._lines]

    def attach(self, task, offset):
        """The job got the node's lock `offset` simulated seconds into its task: schedule its steps from there."""
        self.task, self.active = task, True
        task.vzdump_job = self
        at = self.stretch(task.duration) if offset == 0 else (lambda t: t)
        if offset:
            self.errors, self.locked = [], []
            self._lines, self._events, self._end = self._build()   # guests are looked at when the lock is got
            task.lines = [(0, "INFO: trying to get global lock - waiting..."), (offset, "INFO: got global lock")]
            task.lines += [(offset + t, text) for t, text in self._lines]
            task.duration = offset + self._end
            task.fail_at, task.fail_message = None, None
            if self.fault_fraction is not None:
                task.fail_at = offset + self._end * self.fault_fraction
                task.fail_message = "vzdump failed: simulated failure"
        task.events = [(offset + at(t), fn) for t, fn in self._events]
        if self.st.full and self.ready:
            task.fail_at = offset + min(0.2, self._end)
            task.fail_message = worker_error(["ERROR: Backup of VM %d failed - vma_queue_write: write error - "
                                              "No space left on device" % g.vmid for g in self.local], "job errors")
        elif self.errors and not self.ready:
            task.fail_at = offset + min(0.2, self._end)
            task.fail_message = worker_error(self.errors, "job errors")

    def _reach(self, guest):
        if self.state.guests.get(guest.vmid) is guest and not guest.lock:
            guest.config["lock"] = "backup"
            self.locked.append(guest)

    def _done(self, guest, name, cfg, ctime):
        self._unlock(guest)
        self.errors += _store_archive(self.call, self.st, guest, name, cfg, self.ext, ctime)

    def _unlock(self, guest):
        if guest in self.locked:
            self.locked.remove(guest)
            if guest.config.get("lock") == "backup":
                guest.config.pop("lock")

    def on_ok(self):
        self._release()
        if self.errors:
            raise TaskError(worker_error(self.errors + ["INFO: Backup job finished with errors"], "job errors"))

    def on_fail(self, _msg):
        for guest in list(self.locked):
            self._unlock(guest)
        self._release()

    def _release(self):
        """The job ends: the longest-waiting job of this node gets the lock."""
        if self.released or not self.active:
            self.released = True
            return
        self.released, self.active = True, False
        engine = self.call.sim.tasks
        _holder, waiting = _node_job(engine, self.task.node if self.task else self.call.params["node"])
        waiting = [t for t in waiting if t is not self.task]
        if waiting:
            nxt = waiting[0]
            nxt.vzdump_job.attach(nxt, engine.elapsed(nxt))


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

