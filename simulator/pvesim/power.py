"""Power actions: start, stop, shutdown, reboot, reset, suspend, resume (qm* tasks)."""
from . import network
from .errors import fail
from .guestconfig import apply_pending
from .guests import regenerate_cloudinit

DURATIONS = {"start": 2.0, "stop": 1.0, "shutdown": 3.0, "reboot": 4.0, "reset": 0.5, "suspend": 0.5, "resume": 0.5}


def _problem(guest, action, params):
    """The error a worker would end with, or None; raises for checks done before the worker starts."""
    running = guest.status == "running"
    if action == "start" and guest.template:
        raise fail("you can't start a vm if it's a template")
    if action in ("shutdown", "reboot", "reset", "suspend", "resume") and not running:
        raise fail("VM %d not running" % guest.vmid)
    if guest.lock and not params.get("skiplock") and not (action == "resume" and guest.lock == "suspended"):
        return "VM is locked (%s)" % guest.lock
    if action == "start" and running:
        return "VM %d already running" % guest.vmid
    if action == "resume" and guest.qmpstatus != "paused":
        return "VM %d not paused" % guest.vmid
    return None


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


def power(action):
    def handler(call):
        guest = call.guest()
        error = _problem(guest, action, call.params)
        if action == "start" and error is None:
            error = network.start_error(call.state, guest)
        call.state.config_lock(guest.vmid)

        def on_ok():
            if call.state.guests.get(guest.vmid) is guest:
                _finish(call, guest, action)

        return call.start_task("qm" + action, guest.vmid, DURATIONS[action], _script(guest, action),
                               on_ok=on_ok, error=error)
    handler.__name__ = "power_" + action
    return handler
