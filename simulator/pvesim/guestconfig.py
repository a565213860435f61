"""Applying config changes to a guest: disks, NICs, cloud-init, hot-plug vs pending, delete/revert, digest."""
import hashlib
import re
from urllib.parse import unquote

from .errors import fail, param_error
from .formats import bad_ssh_key_line
from .model import GIB, MIB, format_size, parse_size
from .state import guest_digest

META = {"delete", "revert", "digest", "skiplock", "force", "background_delay", "node", "vmid"}
DISK_KEY = re.compile(r"^(ide|sata|scsi|virtio)\d+$|^(efidisk|tpmstate)0$")
CLOUDINIT_KEYS = {"ciuser", "cipassword", "citype", "sshkeys", "nameserver", "searchdomain", "cicustom", "ciupgrade"}
FAST_PLUG = {"name", "onboot", "shares", "startup", "description", "protection", "vmstatestorage", "hookscript", "tags"}
MASKED_PASSWORD = "**********"


def split_list(text):
    return [item for item in re.split(r"[,;\s]+", text or "") if item]


def is_cloudinit_key(key):
    return key in CLOUDINIT_KEYS or key.startswith("ipconfig")


def is_media(value):
    text = str(value)
    return "media=cdrom" in text or text.split(",")[0] in ("none", "cdrom") or "cloudinit" in text.split(",")[0]


def hot_pluggable(guest, key, value=None):
    """Whether a change of ``key`` (to ``value``; None: a delete) takes effect at once on a running guest."""
    if key in FAST_PLUG or is_cloudinit_key(key) or key in ("cpulimit", "cpuunits"):
        return True
    if key == "balloon":    # live, unless it turns the balloon device on or off (0: off; absent or a delete: on)
        return _balloon_on(guest.config.get("balloon")) == _balloon_on(value)
    if re.match(r"^net\d+$", key):
        return net_hot_pluggable(guest, key, value)
    if key == "hotplug":    # live unless memory (or, on a delete, cpu) hot-plug is involved
        return not re.search(r"memory" if value is not None else r"cpu|memory",
                             "%s %s" % (guest.config.get("hotplug", ""), value or ""))
    return bool(re.match(r"^(scsi|virtio)\d+$", key)) and key not in guest.config \
        and "disk" in hotplug_features(guest)


def unpluggable(guest, key):
    """vmconfig_hotplug_pending's delete branch: with disk hotplug a running guest's scsi/virtio drive is unplugged
    at once (vm_deviceunplug, then vmconfig_delete_or_detach_drive: the volume becomes unusedN); efidisk, ide, sata
    and tpmstate drives, and any drive without disk hotplug, wait for the next start."""
    return bool(re.match(r"^(scsi|virtio)\d+$", key)) and "disk" in hotplug_features(guest)


def _balloon_on(value):
    return value is None or int(value) != 0


# qemu-server $confdesc->{hotplug}->{default}: what `hotplug` absent (or "1") means
HOTPLUG_DEFAULT = "network,disk,usb"


def hotplug_features(guest):
    """qemu-server parse_hotplug_features of the guest's `hotplug` ("0": none, absent or "1": the default)."""
    value = str(guest.config.get("hotplug", "1"))
    if value == "0":
        return set()
    return set(split_list(HOTPLUG_DEFAULT if value == "1" else value))


def _net_fields(value):
    fields = {}
    for part in str(value or "").split(","):
        key, sep, val = part.partition("=")
        if re.match(r"^(virtio|e1000.*|rtl8139|vmxnet3|i8255\w+|ne2k_\w+|pcnet)$", key):
            fields["model"], fields["macaddr"] = key, val.upper()
        elif sep:
            fields[key] = val
    return fields


def net_hot_pluggable(guest, key, value):
    """qemu-server vmconfig_hotplug_pending / vmconfig_update_net on a running guest: a new NIC, a delete, or a
    change of model, MAC, queues or mtu (or to/from no bridge) needs the `network` hotplug feature (else the change
    stays pending); bridge, tag, trunks, firewall, rate and link_down of an existing NIC change live."""
    if "network" in hotplug_features(guest):
        return True
    if value is None or key not in guest.config:
        return False
    old, new = _net_fields(guest.config[key]), _net_fields(value)
    if not (old.get("bridge") and new.get("bridge")):
        return False
    return all(old.get(field) == new.get(field) for field in ("model", "macaddr", "queues", "mtu"))


# qemu-server's update_vm_api wording for a stale digest: "missmatch" up to 8.2.4, fixed in 8.2.5 (commit be8c868f
# "fix typos in user-visible strings"); PVE 8.0 shipped qemu-server 8.0.x, 8.4 ships 8.3.x.
DIGEST_MISSMATCH = "checksum missmatch (file change by other user?)"
DIGEST_MISMATCH = "checksum mismatch (file change by other user?)"
CRYPT_HASH = re.compile(r"^\$(?:[156]|2[ay])(\$.+){2}")
WINDOWS_OSTYPES = {"wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11"}


def digest_error(release):
    return fail(DIGEST_MISMATCH if release >= (8, 4) else DIGEST_MISSMATCH)


def check_digest(guest, params, release=(9, 1)):
    """update_vm_api: the digest is compared first, right after loading the config (before the lock check)."""
    if params.get("digest") and params["digest"] != guest_digest(guest):
        raise digest_error(release)


def check_writable(guest, params, release=(9, 1)):
    """A config write's checks, in update_vm_api's order: digest, then the guest's lock (unless skiplock)."""
    check_digest(guest, params, release)
    if guest.lock and not params.get("skiplock"):
        raise fail("VM is locked (%s)" % guest.lock)


def check_sshkeys(params):
    """create_vm/update_vm_api run every line of `sshkeys` through ssh-keygen before anything else: a line it does
    not take (a typo, a '#' comment) is a 500 "SSH public key validation error" (pve-common validate_ssh_public_keys)."""
    if params.get("sshkeys") is not None and bad_ssh_key_line(unquote(str(params["sshkeys"]))) is not None:
        raise fail("SSH public key validation error")


def unique_tags(value):
    """pve-guest-common get_unique_tags with the default tag style: split on ; , and spaces, lower-cased,
    de-duplicated, sorted, joined with ';'."""
    return ";".join(sorted(set(t.lower() for t in re.split(r"[;, ]+", str(value)) if t)))


def hash_cipassword(guest, value, release):
    """update_vm_api: a crypt hash ($1$, $5$, $6$, $2a$, $2y$) is kept as given; anything else is hashed with
    SHA-256 crypt ($5$). From qemu-server 8.2.x (PVE 8.4 here) a guest whose ostype is Windows keeps it as is."""
    text = str(value)
    if CRYPT_HASH.match(text):
        return text
    if release >= (8, 4) and str(guest.config.get("ostype", "")) in WINDOWS_OSTYPES:
        return text
    return "$5$sim$" + hashlib.sha256(text.encode()).hexdigest()[:43]


def split_drive(value):
    parts = str(value).split(",")
    if "=" in parts[0]:
        opts = dict(p.split("=", 1) for p in parts if "=" in p)
        return opts.pop("file", opts.pop("volume", "")), opts
    return parts[0], dict(p.split("=", 1) for p in parts[1:] if "=" in p)


def join_drive(volume, opts):
    return ",".join([volume] + ["%s=%s" % (k, v) for k, v in opts.items()])


def next_disk_name(state, guest, storage):
    used = {v.name for st in state.storages.values() for v in st.volumes.values()}
    n = 0
    while "vm-%d-disk-%d" % (guest.vmid, n) in used or "base-%d-disk-%d" % (guest.vmid, n) in used:
        n += 1
    return "vm-%d-disk-%d" % (guest.vmid, n)


def allocate(state, guest, storage_name, size):
    st = state.storage(guest.node, storage_name)
    if "images" not in st.content:
        raise fail("storage '%s' does not support content-type 'images'" % storage_name)
    if st.full or st.avail() < size:
        raise fail("unable to create image: no space left on storage '%s' (%s requested, %s available)"
                   % (storage_name, format_size(size), format_size(max(st.avail(), 0))))
    return state.add_volume(guest.node, storage_name, next_disk_name(state, guest, storage_name), size, guest.vmid)


def normalize_drive(state, guest, key, value):
    volume, opts = split_drive(value)
    if volume in ("none", "cdrom"):
        return value
    if ":iso/" in volume:
        # an ISO image must exist on the guest's node (qemu-server: PVE::Storage::path on the volid)
        if state.find_volume(guest.node, volume) is None:
            raise fail("volume '%s' does not exist" % volume)
        return value
    m = re.match(r"^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(\.\d+)?)$", volume, re.I)
    if m:
        size = int(float(m.group(2)) * GIB)
        vol = allocate(state, guest, m.group(1), size or 4 * MIB)
        opts["size"] = format_size(vol.size)
        return join_drive(vol.volid, opts)
    m = re.match(r"^([a-z][a-z0-9\-_.]*[a-z0-9]):cloudinit$", volume, re.I)
    if m:
        name = "vm-%d-cloudinit" % guest.vmid
        vol = state.find_volume(guest.node, "%s:%s" % (m.group(1), name)) or \
            state.add_volume(guest.node, m.group(1), name, 4 * MIB, guest.vmid)
        return join_drive(vol.volid, {"media": "cdrom"})
    vol = state.find_volume(guest.node, volume)
    if vol is None:
        raise fail("volume '%s' does not exist" % volume)
    opts.setdefault("size", format_size(vol.size))
    return join_drive(volume, opts)


def normalize_net(state, value):
    parts = [p for p in str(value).split(",") if p]
    model, mac, rest = None, None, []
    for part in parts:
        key, sep, val = part.partition("=")
        if not sep:
            model = key
        elif key == "model":
            model = val
        elif key == "macaddr":
            mac = val
        elif re.match(r"^(virtio|e1000.*|rtl8139|vmxnet3|i8255\w+|ne2k_\w+|pcnet)$", key):
            model, mac = key, val
        else:
            rest.append((key, val))
    mac = (mac or state.new_mac()).upper()
    return ",".join(["%s=%s" % (model, mac)] + ["%s=%s" % kv for kv in sorted(rest)])


def regenerate_mac(state, value):
    """A NIC with a fresh MAC (clone, restore with unique)."""
    parts = [re.sub(r"^([\w-]+)=([0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5})$", r"\1", p) for p in str(value).split(",")]
    parts = [p for p in parts if not p.startswith("macaddr=")]
    return normalize_net(state, ",".join(parts))


def normalize(state, guest, key, value):
    release = getattr(state, "release", (9, 1))
    if DISK_KEY.match(key):
        return normalize_drive(state, guest, key, value)
    if re.match(r"^net\d+$", key):
        return normalize_net(state, value)
    if key == "cipassword":
        return hash_cipassword(guest, value, release)
    if key == "tags":
        return unique_tags(value)
    if key == "cpuunits":
        return clamp_cpu_shares(value)
    return value


def clamp_cpu_shares(value):
    """API2/Qemu.pm create/update: PVE::CGroup::clamp_cpu_shares; the nodes run the default unified cgroup v2
    hierarchy (7.x too), where values from 10000 up become 10000."""
    return min(int(value), 10000)


# qemu-server CPUConfig.pm: the built-in x86_64 models a VM's `cpu` may name (cpu_vendor_list; x86-64-v2..v4
# builtin_models from 8.0); newer QEMU models of 8.x/9.x are not told apart here
CPU_MODELS = set((
    "486 pentium pentium2 pentium3 coreduo core2duo Conroe Penryn Nehalem Nehalem-IBRS Westmere Westmere-IBRS "
    "SandyBridge SandyBridge-IBRS IvyBridge IvyBridge-IBRS Haswell Haswell-IBRS Haswell-noTSX Haswell-noTSX-IBRS "
    "Broadwell Broadwell-IBRS Broadwell-noTSX Broadwell-noTSX-IBRS Skylake-Client Skylake-Client-IBRS "
    "Skylake-Client-noTSX-IBRS Skylake-Server Skylake-Server-IBRS Skylake-Server-noTSX-IBRS Cascadelake-Server "
    "Cascadelake-Server-noTSX KnightsMill Icelake-Client Icelake-Client-noTSX Icelake-Server Icelake-Server-noTSX "
    "athlon phenom Opteron_G1 Opteron_G2 Opteron_G3 Opteron_G4 Opteron_G5 EPYC EPYC-IBPB EPYC-Rome EPYC-Milan "
    "host kvm32 kvm64 qemu32 qemu64 max").split())
CPU_MODELS_8 = set("x86-64-v2 x86-64-v2-AES x86-64-v3 x86-64-v4".split())


def check_cpu(params, release):
    """pve-vm-cpu-conf's validate_vm_cpu_conf: an unknown built-in cputype is a 400 naming `cpu`."""
    if params.get("cpu") in (None, ""):
        return
    first = str(params["cpu"]).split(",")[0]
    cputype = first.split("=", 1)[1] if first.startswith("cputype=") else first
    known = CPU_MODELS | (CPU_MODELS_8 if release >= (8, 0) else set())
    newer = release >= (8, 0) and re.match(r"^[A-Z][\w-]*-v\d+$", cputype)     # Skylake-Server-v4, EPYC-v4, ...
    if cputype.startswith("custom-") or cputype in known or newer:
        return
    raise param_error({"cpu": "Built-in cputype '%s' is not defined (missing 'custom-' prefix?)" % cputype})


def free_unused_slot(guest):
    n = 0
    while "unused%d" % n in guest.config:
        n += 1
    return "unused%d" % n


def drop_key(state, guest, key):
    """Delete a key; real disks become unusedN, cloud-init drives and unused volumes are freed."""
    value = guest.config.pop(key, None)
    if value is None:
        return
    volume, _opts = split_drive(value)
    if key.startswith("unused") or (DISK_KEY.match(key) and "cloudinit" in volume):
        state.free_volume(guest.node, volume)
    elif DISK_KEY.match(key) and not is_media(value) and state.find_volume(guest.node, volume):
        guest.config[free_unused_slot(guest)] = volume


def set_key(state, guest, key, value):
    old = guest.config.get(key)
    if old is not None and DISK_KEY.match(key):
        old_volume = split_drive(old)[0]
        if old_volume != split_drive(value)[0]:
            drop_key(state, guest, key)
    guest.config[key] = value


def check_delete_protection(guest, deletes):
    """update_vm_api's delete loop: a protected guest keeps its drives and unused volumes (AbstractConfig
    check_protection: "can't remove drive 'scsi1' - protection mode enabled", "can't remove unused disk 'VOLID' -
    protection mode enabled"); the first such key refuses the whole write here (the real loop has written the keys
    before it, never a drive: the module plans only drive deletes in one write)."""
    if str(guest.config.get("protection", 0)) not in ("1", "true"):
        return
    for key in deletes:
        if key not in guest.config:
            continue
        if key.startswith("unused"):
            raise fail("can't remove unused disk '%s' - protection mode enabled" % split_drive(guest.config[key])[0])
        if DISK_KEY.match(key):
            raise fail("can't remove drive '%s' - protection mode enabled" % key)


def update(state, guest, params):
    """Apply a config PUT/POST to guest (state lock held). Raises ApiError."""
    check_sshkeys(params)
    check_writable(guest, params, state.release)
    changes = {k: v for k, v in params.items() if k not in META}
    deletes, reverts = split_list(params.get("delete")), split_list(params.get("revert"))
    both = [k for k in deletes if k in changes] + [k for k in reverts if k in changes]
    if both:
        raise param_error({k: "you can't change and delete the same option" for k in both})
    check_balloon(guest, changes)
    running = guest.status == "running"
    check_delete_protection(guest, deletes)
    for key in reverts:
        guest.pending.pop(key, None)
        if key in guest.pending_delete:
            guest.pending_delete.remove(key)
    for key in deletes:
        if running and not hot_pluggable(guest, key, None) and not key.startswith("unused") \
                and not unpluggable(guest, key):
            if key in guest.config and key not in guest.pending_delete:
                guest.pending_delete.append(key)
            guest.pending.pop(key, None)
        else:
            drop_key(state, guest, key)
            guest.pending.pop(key, None)
    for key, value in changes.items():
        value = normalize(state, guest, key, value)
        if running and not hot_pluggable(guest, key, value) and guest.config.get(key) != value:
            guest.pending[key] = value
        else:
            set_key(state, guest, key, value)
            guest.pending.pop(key, None)


def check_balloon(guest, changes):
    """qemu-server API2/Qemu.pm update_vm_api (7.x to 9.x), with memory or balloon in the request: the balloon
    (given, else pending, else current) must not exceed the memory (given, else pending, else current, else 512)."""
    if not changes.get("memory") and changes.get("balloon") is None:
        return
    memory = changes.get("memory") or guest.pending.get("memory") or guest.config.get("memory") or 512
    balloon = changes.get("balloon")
    if balloon is None:
        balloon = guest.pending.get("balloon") or guest.config.get("balloon")
    if balloon and int(balloon) > int(str(memory).split(",")[0].replace("current=", "")):
        raise fail("balloon value too large (must be smaller than assigned memory)")


def apply_pending(state, guest):
    for key in list(guest.pending_delete):
        drop_key(state, guest, key)
    for key, value in guest.pending.items():
        set_key(state, guest, key, value)
    guest.pending, guest.pending_delete = {}, []


def shown(key, value):
    return MASKED_PASSWORD if key == "cipassword" else value


def config_view(guest, current=False):
    """GET .../config: pending changes applied, as real PVE shows them, unless `current` asks for the running values."""
    config = dict(guest.config)
    if not current:
        for key in guest.pending_delete:
            config.pop(key, None)
        config.update(guest.pending)
    out = {k: shown(k, v) for k, v in config.items()}
    out["digest"] = guest_digest(guest)
    return out


def pending_view(guest):
    out = []
    for key in sorted(set(guest.config) | set(guest.pending)):
        item = {"key": key}
        if key in guest.config:
            item["value"] = shown(key, guest.config[key])
        if key in guest.pending:
            item["pending"] = shown(key, guest.pending[key])
        if key in guest.pending_delete:
            item["delete"] = 1
        out.append(item)
    return out


def disk_size(value):
    opts = split_drive(value)[1]
    return parse_size(opts["size"]) if "size" in opts else 0
