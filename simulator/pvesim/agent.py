"""QEMU guest agent endpoints: ping, network-get-interfaces, set-user-password, exec, exec-status.

Real PVE (qemu-server PVE/API2/Qemu/Agent.pm, PVE/QemuServer/Agent.pm agent_available / assert_agent_available,
the same on 7.4 to 9.1) loads the config, then refuses with a 500: "No QEMU guest agent configured" when the config
has no ``agent`` key at all, "VM N is not running", and "QEMU guest agent is not running" when guest-ping gets no
answer (also when ``agent`` is present but disabled: QEMU then has no agent channel). Answers are
``{"result": ...}`` with what the agent returned; exec answers ``{"pid": N}``.

The simulated agent answers once the guest has run AGENT_START_SECONDS (simulated) since its start, if the config
enables it; a stop ends it, a new start restarts it. The ``agent_off`` fault silences it until the next start.
"""
import hashlib
import ipaddress
import time

from .errors import fail

AGENT_START_SECONDS = 3.0


def agent_enabled(config):
    """True when ``agent`` enables the agent: '1', 'enabled=1', '1,fstrim_cloned_disks=1', ..."""
    value = str(config.get("agent", ""))
    for part in value.split(","):
        key, sep, val = part.partition("=")
        if not sep and key in ("1", "0"):
            return key == "1"
        if key == "enabled":
            return val in ("1", "true", "on", "yes")
    return False


def agent_running(sim, guest):
    """Whether the guest's agent would answer guest-ping now."""
    if guest.status != "running" or not agent_enabled(guest.config):
        return False
    started = guest.started
    if started is not None and getattr(guest, "agent_off_boot", "never") == started:
        return False
    if started is None:
        return True
    return (time.time() - started) * sim.clock.speed >= AGENT_START_SECONDS


def silence(guest):
    """The agent_off fault: the agent stops answering until the guest's next start."""
    guest.agent_off_boot = guest.started


def _available(call):
    guest = call.guest()
    if "agent" not in guest.config:
        raise fail("No QEMU guest agent configured")
    if guest.status != "running":
        raise fail("VM %d is not running" % guest.vmid)
    if not agent_running(call.sim, guest):
        raise fail("QEMU guest agent is not running")
    return guest


def ping(call):
    _available(call)
    return {"result": {}}


def _static_or_dhcp(guest, index, text):
    """The IPv4 interface a guest gets from ipconfigN: the static ip=, or a deterministic DHCP lease."""
    fields = dict(part.partition("=")[::2] for part in text.split(",") if part)
    ip4 = fields.get("ip")
    if ip4 and ip4 != "dhcp":
        return ipaddress.ip_interface(ip4)
    if ip4 == "dhcp":
        digest = hashlib.sha1(("%d/%d" % (guest.vmid, index)).encode()).digest()
        return ipaddress.ip_interface("10.%d.%d.%d/16" % (100 + index, digest[0], 2 + digest[1] % 250))
    return None


def _link_local(mac):
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    eui = octets[:3] + [0xFF, 0xFE] + octets[3:]
    return ipaddress.ip_address("fe80::" + ":".join("%x" % (eui[i] << 8 | eui[i + 1]) for i in range(0, 8, 2)))


def _addr(kind, address, prefix):
    return {"ip-address-type": kind, "ip-address": str(address), "prefix": prefix}


def _stats():
    return {"rx-bytes": 0, "rx-dropped": 0, "rx-errs": 0, "rx-packets": 0,
            "tx-bytes": 0, "tx-dropped": 0, "tx-errs": 0, "tx-packets": 0}


def network_get_interfaces(call):
    """lo, then one interface per netN (ens18, ens19, ... as virtio NICs on slot 18+ are named in the guest) with
    the address cloud-init gave it at boot (ipconfigN as last generated: static, or a DHCP lease derived from the
    vmid) and its IPv6 link-local address."""
    guest = _available(call)
    seen = dict(guest.ci_generated) if guest.ci_generated else dict(guest.config)
    out = [{"name": "lo", "hardware-address": "00:00:00:00:00:00", "statistics": _stats(),
            "ip-addresses": [_addr("ipv4", "127.0.0.1", 8), _addr("ipv6", "::1", 128)]}]
    for key in sorted((k for k in guest.config if k.startswith("net") and k[3:].isdigit()), key=lambda k: int(k[3:])):
        index = int(key[3:])
        mac = next((part.partition("=")[2] for part in str(guest.config[key]).split(",")
                    if "=" in part and part.partition("=")[2].count(":") == 5), "BC:24:11:00:00:%02X" % index)
        addresses = []
        iface = _static_or_dhcp(guest, index, str(seen.get("ipconfig%d" % index, "")))
        if iface is not None:
            addresses.append(_addr("ipv4", iface.ip, iface.network.prefixlen))
        addresses.append(_addr("ipv6", _link_local(mac), 64))
        out.append({"name": "ens%d" % (18 + index), "hardware-address": mac.lower(), "statistics": _stats(),
                    "ip-addresses": addresses})
    return {"result": out}


def set_user_password(call):
    """Records that the user's password was set (never the password itself)."""
    guest = _available(call)
    changed = getattr(guest, "agent_password_changes", [])
    changed.append({"username": call.params["username"], "crypted": bool(call.params.get("crypted"))})
    guest.agent_password_changes = changed
    return {"result": {}}


def agent_exec(call):
    """Starts nothing: the command 'runs' at once, exit code 0, no output; exec-status reports it."""
    guest = _available(call)
    command = call.params.get("command")
    if isinstance(command, str):     # 7.4: a string-alist ("ls,-l" / "ls -l"), optional
        command = [part for part in command.replace(",", " ").split() if part]
    runs = getattr(guest, "agent_exec", {})
    pid = 1000 + len(runs) + 1
    runs[pid] = {"command": list(command or []), "input": call.params.get("input-data") is not None}
    guest.agent_exec = runs
    return {"pid": pid}


def agent_exec_status(call):
    guest = _available(call)
    if call.params["pid"] not in getattr(guest, "agent_exec", {}):
        raise fail("Agent error: Invalid parameter 'pid'")
    return {"exited": True, "exitcode": 0}
