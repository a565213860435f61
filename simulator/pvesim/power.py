"""Power actions: start, stop, shutdown, reboot, reset, suspend, resume (qm* tasks).

As qemu-server does it (API2/Qemu.pm vm_start/vm_stop/vm_shutdown/..., QemuServer.pm vm_start, _do_vm_stop,
vm_reboot): the API checks little before forking; the worker takes the config-file lock (waits up to 10 s, then dies
"can't lock file ... - got timeout"), then checks the template flag, the guest's lock and whether it runs. Stop and
shutdown of a stopped guest return at once: the task ends OK with nothing done.
"""
from . import network
from .errors import fail
from .guestconfig import apply_pending
from .guests import (check_skiplock, delay_task, fail_task_at, lock_timeout_message, lock_wait, regenerate_cloudinit,
                     task_of)
from .state import LOCK_TIMEOUT

DURATIONS = {"start": 2.0, "stop": 1.0, "shutdown": 3.0, "reboot": 4.0, "reset": 0.5, "suspend": 0.5, "resume": 0.5}
SHUTDOWN_TIMEOUT = 60           # _do_vm_stop's default when neither `timeout` nor the config's startup down= is set


def _sync_check(guest, action, params):
    """The checks the API does before forking (raise: a synchronous 500)."""
    running = guest.status == "running"
    if action in ("reboot", "reset", "suspend", "resume") and not running:
        raise fail("VM %d not running" % guest.vmid)
    if action == "shutdown" and running and guest.qmpstatus == "paused" and not params.get("forceStop"):
        raise fail("VM is paused - cannot shutdown")


def _worker_problem(guest, action, params):
    """(error the worker dies with or None, whether the worker has something to do)."""
    running = guest.status == "running"
    skiplock = params.get("skiplock")
    if action == "start":
        if guest.template:
            return "you can't start a vm if it's a template", False
        if guest.lock == "backup" and running:
            return None, False                  # vm_start resumes the backup's QEMU instead
        if guest.lock and not skiplock and guest.lock != "suspended":
            return "VM is locked (%s)" % guest.lock, False
        if running:
            return "VM %d already running" % guest.vmid, False
        return None, True
    if action in ("stop", "shutdown", "reboot") and not running:
        return None, False                      # _do_vm_stop / vm_reboot: "return if !check_running"
    if guest.lock and not skiplock and not (action == "resume" and guest.lock == "suspended"):
        return "VM is locked (%s)" % guest.lock, False
    if action == "resume" and guest.qmpstatus != "paused":
        return "VM %d not paused" % guest.vmid, False
    return None, True


def _finish(call, guest, action):
    now = call.clock.now()
    if action in ("start", "reboot"):
        apply_pending(call.state, guest)
        regenerate_cloudinit(guest)
        guest.status, guest.qmpstatus, guest.started = "running", "running", now
    elif action in ("stop", "shutdown"):
        apply_pending(call.state, guest)
        guest.status, guest.qmpstatus, guest.started = "stopped", "stopped", None
    elif action == "suspend":
        guest.qmpstatus = "paused"
    elif action in ("resume", "reset"):
        guest.qmpstatus = "running"


def _script(guest, action):
    if action == "start":
        return lambda d: [(d * 0.5, "generating cloud-init ISO")]
    if action in ("shutdown", "reboot"):
        return lambda d: [(d * 0.2, "requesting shutdown of VM %d" % guest.vmid)]
    return None


def shutdown_timeout(guest, params):
    """`timeout`, else the config's startup down=, else 60 s (QemuServer.pm _do_vm_stop)."""
    if params.get("timeout") is not None:
        return float(params["timeout"])
    for part in str(guest.config.get("startup", "")).split(","):
        key, _sep, value = part.partition("=")
        if key == "down" and value.isdigit():
            return float(value)
    return float(SHUTDOWN_TIMEOUT)


def _ignores_acpi(call, guest, action):
    """The ignore_acpi fault: the guest does not react to the ACPI powerdown of shutdown/reboot."""
    if action not in ("shutdown", "reboot") or guest.status != "running":
        return False
    return call.sim.faults.take_vm_fault("ignore_acpi", guest.vmid) is not None


def _recheck(guest, action, params, task, wait, box):
    """The worker got the config lock `wait` s in: it checks the guest now, as it is then (a parallel start that ran
    first makes this one fail "VM N already running"; a stop after a stop has nothing left to do)."""
    problem, work = _worker_problem(guest, action, params)
    if problem:
        task.fail_message, task.fail_at = problem, wait + 0.01
    elif not work:
        box["work"] = False
        task.duration = wait + 0.2
        task.lines = [line for line in task.lines if line[0] <= wait]


def power(action):
    def handler(call):
        check_skiplock(call)
        guest = call.guest()
        state, params = call.state, call.params
        _sync_check(guest, action, params)
        wait = lock_wait(state, guest.vmid)
        error, work = _worker_problem(guest, action, params)
        duration = DURATIONS[action] if work else 0.2
        ignores = work and _ignores_acpi(call, guest, action)
        timeout = shutdown_timeout(guest, params)
        forced = ignores and action == "shutdown" and params.get("forceStop")
        if ignores:
            duration = timeout + (1.0 if forced else 0.0)
            if not forced:
                error = "VM quit/powerdown failed - got timeout"
        if action == "start" and error is None and work:
            error = network.start_error(state, guest)   # a NIC on a bridge the node lacks: pve-bridge fails

        holder, box = object(), {"work": work}     # the worker holds the config lock while it works (vm_start...)

        def release(_msg=None):
            state.release_task_locks(holder)

        def on_ok():
            release()
            if box["work"] and state.guests.get(guest.vmid) is guest:
                _finish(call, guest, action)

        upid = call.start_task("qm" + action, guest.vmid, duration, _script(guest, action) if work else None,
                               on_ok=on_ok, on_fail=release, error=error)
        if wait is None:
            task = fail_task_at(call, upid, LOCK_TIMEOUT, lock_timeout_message(guest.vmid))
            task.lines = []
            return upid
        task = task_of(call, upid)
        if ignores:
            if forced:
                task.lines.append((timeout, "WARN: VM still running - terminating now with SIGTERM"))
                task.warnings += 1
            else:
                task.fail_at = timeout
        delay_task(call, upid, wait)
        if wait > 0 and error is None:
            task.events.append((wait, lambda: _recheck(guest, action, params, task, wait, box)))
        state.take_task_lock(guest.vmid, "exclusive", holder, task.duration)
        return upid
    handler.__name__ = "power_" + action
    return handler
