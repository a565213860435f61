"""GET /nodes/{node}/network: the node's interfaces (pve-manager API2/Network.pm index), and the bridge a guest NIC
needs when the guest starts (pve-common PVE::Network read_bridge_mtu, called by qemu-server's pve-bridge script)."""
import re

from . import guestconfig as gc
from .errors import worker_error

BRIDGE_TYPES = ("bridge", "OVSBridge")


def network_index(call):
    """Every interface of the node but `lo`; ``type`` filters: a type name, ``any_bridge`` / ``any_local_bridge``
    (Linux and OVS bridges; there are no SDN vnets here), ``include_sdn`` (9.x: everything)."""
    node = call.params["node"]
    call.state.check_node(node)
    wanted = call.params.get("type")
    out = []
    for name, iface in sorted(call.state.networks[node].items()):
        if wanted and wanted != "include_sdn":
            is_bridge = iface["type"] in BRIDGE_TYPES
            if not (wanted == iface["type"] or (is_bridge and wanted in ("any_bridge", "any_local_bridge"))):
                continue
        out.append(dict(iface))
    return out


def missing_bridge(state, guest):
    """(netN, bridge) of the first NIC (by key, pending values applied) whose bridge is not on the guest's node."""
    config = dict(guest.config)
    config.update(guest.pending or {})
    bridges = state.bridges(guest.node)
    for key in sorted(config):
        if not re.match(r"^net\d+$", key):
            continue
        opts = gc.split_drive(config[key])[1]
        bridge = opts.get("bridge")
        if bridge and bridge not in bridges:
            return key, bridge
    return None


def start_error(state, guest):
    """The qmstart worker's error when a NIC's bridge is missing: pve-bridge dies, QEMU exits."""
    found = missing_bridge(state, guest)
    if not found:
        return None
    key, bridge = found
    index = key[3:]
    return worker_error(
        ["bridge '%s' does not exist" % bridge,
         "kvm: -netdev type=tap,id=%s,ifname=tap%di%s,script=/var/lib/qemu-server/pve-bridge,"
         "downscript=/var/lib/qemu-server/pve-bridgedown,vhost=on: "
         "network script /var/lib/qemu-server/pve-bridge failed with status 512" % (key, guest.vmid, index)],
        "start failed: QEMU exited with code 1")
