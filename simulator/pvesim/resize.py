"""PUT /nodes/{node}/qemu/{vmid}/resize: synchronous on 7.x (596 at the proxy timeout), a task from 8.0."""
import re
import threading

from . import guestconfig as gc
from .errors import ApiError, fail
from .model import GIB, format_size, parse_size

PROXY_TIMEOUT = 30.0        # simulated seconds pveproxy waits for a synchronous answer
BASE_SECONDS = 0.5
SECONDS_PER_GIB = 0.1


def _target_size(current, text):
    m = re.fullmatch(r"(\+)?(\d+(?:\.\d+)?)([KMGT])?", text)
    amount = parse_size(m.group(2) + (m.group(3) or ""))
    return current + amount if m.group(1) else amount


def prepare(call, guest):
    """Checks; returns (key, volume object, old size, new size). Raises ApiError."""
    gc.check_writable(guest, call.params, call.state.release)
    key = call.params["disk"]
    value = guest.config.get(key)
    if value is None:
        raise fail("disk '%s' does not exist" % key)
    if gc.is_media(value):
        raise fail("you can't resize a cdrom")
    volume = call.state.find_volume(guest.node, gc.split_drive(value)[0])
    old = gc.disk_size(value)
    new = _target_size(old, call.params["size"])
    if new < old:
        raise fail("shrinking disks is not supported")
    st = call.state.storage(guest.node, volume.volid.split(":", 1)[0])
    if new > old and (st.full or st.avail() < new - old):
        raise fail("error resizing volume '%s': no space left on storage '%s' (%s more needed, %s available)"
                   % (volume.volid, st.name, format_size(new - old), format_size(max(st.avail(), 0))))
    return key, volume, old, new


def _apply(state, guest, key, volume, new):
    if state.guests.get(guest.vmid) is not guest or key not in guest.config:
        return
    volume.size = new
    vol, opts = gc.split_drive(guest.config[key])
    opts["size"] = format_size(new)
    guest.config[key] = gc.join_drive(vol, opts)


def _duration(call, old, new):
    return BASE_SECONDS + SECONDS_PER_GIB * (new - old) / float(GIB)


def resize(call):
    if call.sim.release < (8, 0):
        return resize_sync(call)
    guest = call.guest()
    error, plan = None, None
    try:
        plan = prepare(call, guest)
        call.state.config_lock(guest.vmid)
    except ApiError as exc:
        error = exc.message
    duration = _duration(call, plan[2], plan[3]) if plan else BASE_SECONDS
    script = (lambda d: [(0, "resize drive %s to %s" % (plan[0], format_size(plan[3])))]) if plan else None
    on_ok = (lambda: _apply(call.state, guest, plan[0], plan[1], plan[3])) if plan else None
    return call.start_task("resize", guest.vmid, duration, script, on_ok=on_ok, error=error)


def resize_sync(call):
    """7.x: the request is held while the resize runs; past the proxy timeout pveproxy answers 596."""
    state, clock = call.state, call.clock
    guest = call.guest()
    key, volume, old, new = prepare(call, guest)
    fault = call.sim.faults.take_task_fault("resize")
    duration = float(fault.get("seconds", _duration(call, old, new)))
    failure = next((f for f in call.sim.faults.take_more_task_faults("resize") if f["kind"] == "task_fail"), None)
    state.config_lock(guest.vmid, hold=duration)
    wait = min(duration, PROXY_TIMEOUT)
    state.cond.wait_for(lambda: False, timeout=clock.real(wait))      # releases the state lock while "working"
    if duration <= PROXY_TIMEOUT:
        state.release_config_lock(guest.vmid)
        if failure:
            raise fail(failure.get("message") or "resize failed: simulated failure")
        _apply(state, guest, key, volume, new)
        return None

    def finish_later():
        with state.lock:
            if not failure:
                _apply(state, guest, key, volume, new)
            state.release_config_lock(guest.vmid)

    timer = threading.Timer(clock.real(duration - wait), finish_later)
    timer.daemon = True
    timer.start()
    raise ApiError(596, "Connection timed out")
