"""Compact parameter specs of every implemented endpoint, per release (written from the published API schema)."""
import functools



def I(lo=None, hi=None, req=False, **kw):
    spec = dict(type="integer", optional=not req, **kw)
    if lo is not None:
        spec["minimum"] = lo
    if hi is not None:
        spec["maximum"] = hi
    return spec


def N(lo=None, hi=None):
    return dict(type="number", optional=True, **_bounds(lo, hi))


def _bounds(lo, hi):
    out = {}
    if lo is not None:
        out["minimum"] = lo
    if hi is not None:
        out["maximum"] = hi
    return out


def B():
    return {"type": "boolean", "optional": True}


def S(maxlen=None, pattern=None, fmt=None, req=False, **kw):
    spec = dict(type="string", optional=not req, **kw)
    if maxlen:
        spec["maxLength"] = maxlen
    if pattern:
        spec["pattern"] = pattern
    if fmt:
        spec["format"] = fmt
    return spec


def E(*values, req=False):
    return {"type": "string", "optional": not req, "enum": list(values)}


def DK(spec):
    """Mark the property-string key that may stand without a name."""
    return dict(spec, default_key=True)


NODE = S(fmt="pve-node", req=True)
STORAGE = S(fmt="pve-storage-id", req=True)
POOLID = S(fmt="pve-poolid")
DISK_SIZE = r"\+?\d+(\.\d+)?[KMGT]?"
MACHINE = (r"(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?"
           r"|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)")


def vmid(rel, req=True):
    return I(1, req=req) if rel < (8, 0) else I(100, 999999999, req=req)


def _disk_format(rel):
    fmt = {"file": DK(S(req=True)), "volume": {"alias": "file"}, "size": S(fmt="disk-size"),
           "format": E("raw", "qcow", "qed", "qcow2", "vmdk", "cloop", *(("cow",) if rel < (8, 0) else ())),
           "cache": E("none", "writethrough", "writeback", "unsafe", "directsync"), "discard": E("ignore", "on"),
           "aio": E("native", "threads", "io_uring"), "media": E("cdrom", "disk"), "rerror": E("ignore", "report", "stop"),
           "werror": E("enospc", "ignore", "report", "stop"), "serial": S(60), "wwn": S(pattern=r"^(0x)[0-9a-fA-F]{16}"),
           "import-from": S(), "queues": I(2)}
    for key in ("backup", "detect_zeroes", "iothread", "replicate", "ro", "shared", "snapshot", "ssd", "scsiblock"):
        fmt[key] = B()
    for key in ("bps", "bps_rd", "bps_wr", "iops", "iops_max", "iops_rd", "iops_rd_max", "iops_wr", "iops_wr_max"):
        fmt[key] = I()
    for key in ("bps_max_length", "bps_rd_max_length", "bps_wr_max_length", "iops_max_length",
                "iops_rd_max_length", "iops_wr_max_length"):
        fmt[key] = I(1)
        fmt[key.replace("_max_length", "_length")] = {"alias": key}
    for key in ("mbps", "mbps_max", "mbps_rd", "mbps_rd_max", "mbps_wr", "mbps_wr_max"):
        fmt[key] = N()
    return fmt


NET_MODELS = ("e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b",
              "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3")


def _net_format():
    fmt = {"model": DK(E(*NET_MODELS, req=True)), "macaddr": S(fmt="mac-addr"), "bridge": S(),
           "firewall": B(), "link_down": B(), "mtu": I(1, 65520), "queues": I(0, 64), "rate": N(0),
           "tag": I(1, 4094), "trunks": S(pattern=r"\d+(?:-\d+)?(?:;\d+(?:-\d+)?)*")}
    for model in NET_MODELS:
        fmt[model] = {"alias": "macaddr", "keyAlias": "model"}
    return fmt


def _agent_format(rel):
    fmt = {"enabled": DK(B()), "fstrim_cloned_disks": B(), "type": E("virtio", "isa")}
    if rel >= (9, 0):
        fmt.update({"freeze-fs": B(), "freeze-fs-on-backup": {"alias": "freeze-fs"},
                    "guest-fsfreeze": {"alias": "freeze-fs"}})
    else:
        fmt["freeze-fs-on-backup"] = B()
    return fmt


def _memory(rel):
    if rel >= (8, 4):
        return S(fmt={"current": DK(I(16, req=True))})
    return I(16)


def guest_options(rel):
    """The options of POST /nodes/{node}/qemu and .../config shared by create and update."""
    disk = _disk_format(rel)
    opts = {
        "acpi": B(), "agent": S(fmt=_agent_format(rel)), "arch": E("x86_64", "aarch64"), "args": S(), "autostart": B(),
        "balloon": I(0), "bios": E("seabios", "ovmf"), "boot": S(fmt="pve-qm-boot"),
        "bootdisk": S(pattern=r"(ide|sata|scsi|virtio)\d+"), "cdrom": S(), "cicustom": S(),
        "cipassword": S(), "citype": E("configdrive2", "nocloud", "opennebula"), "ciuser": S(),
        "cores": I(1), "cpu": S(), "cpulimit": N(0, 128), "cpuunits": I(1, 262144), "description": S(8192),
        "efidisk0": S(fmt=_efidisk_format(rel)), "freeze": B(), "hookscript": S(), "hotplug": S(),
        "hugepages": E("any", "2", "1024"), "ide[n]": S(fmt=disk, max_index=3), "ipconfig[n]": S(fmt="pve-qm-ipconfig"),
        "keephugepages": B(), "kvm": B(), "localtime": B(), "lock": E("backup", "clone", "create", "migrate", "rollback",
                                                                         "snapshot", "snapshot-delete", "suspending", "suspended"),
        "machine": S(40, MACHINE) if rel < (8, 4) else S(), "memory": _memory(rel), "migrate_downtime": N(0),
        "migrate_speed": I(0), "name": S(fmt="dns-name"), "nameserver": S(fmt="address-list"), "net[n]": S(fmt=_net_format()),
        "numa": B(), "onboot": B(), "ostype": E("other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10",
                                               "win11", "l24", "l26", "solaris"),
        "protection": B(), "reboot": B(), "rng0": S(), "sata[n]": S(fmt=disk, max_index=5),
        "scsi[n]": S(fmt=disk, max_index=30), "scsihw": E("lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single",
                                                          "megasas", "pvscsi"),
        "searchdomain": S(), "serial[n]": S(pattern=r"(/dev/.+|socket)", max_index=3), "shares": I(0, 50000),
        "smbios1": S(512), "smp": I(1), "sockets": I(1), "sshkeys": S(fmt="urlencoded-sshkeys"), "startup": S(),
        "tablet": B(), "tags": S(fmt="pve-tag-list"), "tdf": B(), "template": B(), "tpmstate0": S(),
        "unused[n]": S(fmt={"file": DK(S(req=True)), "volume": {"alias": "file"}}, max_index=255), "usb[n]": S(max_index=4),
        "vcpus": I(1), "vga": S(fmt={"type": DK(S()), "memory": I(4, 512), "clipboard": E("vnc")}),
        "virtio[n]": S(fmt=disk, max_index=15), "vmgenid": S(pattern=r"(?:[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}|[01])"),
        "vmstatestorage": S(), "watchdog": S(), "startdate": S(pattern=r"(now|\d{4}-\d{1,2}-\d{1,2}(T\d{1,2}:\d{1,2}:\d{1,2})?)"),
    }
    opts.update({"affinity": S(), "audio0": S(), "hostpci[n]": S(max_index=15), "ivshmem": S(),
                 "numa[n]": S(max_index=7), "parallel[n]": S(pattern=r"/dev/parport\d+|/dev/usb/lp\d+", max_index=2),
                 "spice_enhancements": S(), "keyboard": E(*KEYBOARDS)})
    if rel >= (8, 0):
        opts["ciupgrade"] = B()
    else:
        opts["vga"]["format"] = {"type": DK(S()), "memory": I(4, 512)}
    if rel >= (8, 4):
        opts.update({"amd-sev": S(), "virtiofs[n]": S(max_index=9)})
    if rel >= (9, 0):
        opts.update({"allow-ksm": B(), "intel-tdx": S()})
    return opts


KEYBOARDS = ("de", "de-ch", "da", "en-gb", "en-us", "es", "fi", "fr", "fr-be", "fr-ca", "fr-ch", "hu", "is", "it",
             "ja", "lt", "mk", "nl", "no", "pl", "pt", "pt-br", "sv", "sl", "tr")


def _efidisk_format(rel):
    fmt = {"file": DK(S(req=True)), "volume": {"alias": "file"}, "efitype": E("2m", "4m"), "size": S(fmt="disk-size"),
           "format": E("raw", "qcow", "qed", "qcow2", "vmdk", "cloop"), "pre-enrolled-keys": B(), "import-from": S()}
    return fmt


def config_update(rel, method):
    opts = guest_options(rel)
    opts.update({"node": NODE, "vmid": vmid(rel), "delete": S(fmt="pve-configid-list"),
                 "revert": S(fmt="pve-configid-list"), "digest": S(40), "skiplock": B(),
                 "force": dict(B(), requires="delete")})
    if method == "POST":
        opts["background_delay"] = I(1, 30)
        if rel >= (8, 4):
            opts["import-working-storage"] = S(fmt="pve-storage-id")
    return opts


def guest_create(rel):
    opts = guest_options(rel)
    opts.update({"node": NODE, "vmid": vmid(rel), "archive": S(255), "storage": S(fmt="pve-storage-id"),
                 "force": dict(B(), requires="archive"), "unique": dict(B(), requires="archive"), "start": B(),
                 "pool": POOLID, "bwlimit": I(0), "live-restore": B() if rel >= (9, 0) else dict(B(), requires="archive")})
    if rel >= (8, 4):
        opts["import-working-storage"] = S(fmt="pve-storage-id")
    if rel >= (9, 0):
        opts["ha-managed"] = B()
    return opts


PRUNE = {"keep-all": B(), "keep-last": I(), "keep-hourly": I(), "keep-daily": I(), "keep-weekly": I(),
         "keep-monthly": I(), "keep-yearly": I()}
DISKS = ["ide%d" % i for i in range(4)] + ["scsi%d" % i for i in range(31)] + ["virtio%d" % i for i in range(16)] + \
        ["sata%d" % i for i in range(6)] + ["efidisk0", "tpmstate0"]


def _vm(rel, **extra):
    out = {"node": NODE, "vmid": vmid(rel)}
    out.update(extra)
    return out


def _power(rel, action):
    extra = {
        "start": {"skiplock": B(), "machine": S(40, MACHINE) if rel < (9, 0) else S(), "timeout": I(0),
                  "migratedfrom": S(), "migration_type": E("secure", "insecure"), "migration_network": S(),
                  "stateuri": S(128), "targetstorage": S(), "force-cpu": S()},
        "stop": {"skiplock": B(), "keepActive": B(), "timeout": I(0), "migratedfrom": S()},
        "shutdown": {"skiplock": B(), "keepActive": B(), "timeout": I(0), "forceStop": B()},
        "reboot": {"timeout": I(0)}, "reset": {"skiplock": B()},
        "suspend": {"skiplock": B(), "todisk": B(), "statestorage": dict(S(), requires="todisk")},
        "resume": {"skiplock": B(), "nocheck": B()},
    }[action]
    if rel >= (8, 2) and action == "stop":
        extra["overrule-shutdown"] = B()
    if rel >= (9, 0) and action == "start":
        extra.update({"nets-host-mtu": S(pattern=r"net\d+=\d+(,net\d+=\d+)*"), "with-conntrack-state": B()})
    return _vm(rel, **extra)


def _pools(rel):
    """GET /pools takes no parameters before 8.1; from then on ?poolid= (and type) read one pool."""
    if rel < (8, 4):
        return {}
    return {"poolid": POOLID, "type": dict(E("qemu", "lxc", "storage"), requires="poolid")}


def _pool_update(rel, by_path):
    """PUT /pools/{poolid} (every release); PUT /pools with poolid as a parameter (8.1 on). 'allow-move' from 8.1."""
    if not by_path and rel < (8, 4):
        return None
    out = {"poolid": dict(POOLID, optional=False), "comment": S(), "delete": B(), "storage": S(),
           "vms": S(fmt="pve-vmid-list")}
    if rel >= (8, 4):
        out["allow-move"] = B()
    return out


def _vzdump(rel):
    out = {"node": S(fmt="pve-node"), "vmid": S(fmt="pve-vmid-list"), "all": B(), "bwlimit": I(0),
           "compress": E("0", "1", "gzip", "lzo", "zstd"), "dumpdir": S(), "exclude": S(fmt="pve-vmid-list"),
           "ionice": I(0, 8), "lockwait": I(0), "mailnotification": E("always", "failure"), "mailto": S(),
           "maxfiles": I(1), "mode": E("snapshot", "suspend", "stop"), "notes-template": S(1024, requires="storage"),
           "performance": S(), "pigz": I(), "pool": S(), "protected": dict(B(), requires="storage"),
           "prune-backups": S(fmt=PRUNE), "quiet": B(), "remove": B(), "script": S(), "stdexcludes": B(),
           "stdout": B(), "stop": B(), "stopwait": I(0), "storage": S(fmt="pve-storage-id"), "tmpdir": S(), "zstd": I()}
    out["exclude-path"] = {"type": "array", "optional": True} if rel >= (8, 0) else S()
    if (8, 2) <= rel < (9, 0):
        out.update({"notification-policy": S(), "notification-target": S()})
    if rel >= (8, 2):
        out.update({"fleecing": S(), "job-id": S(50, r"\S+"), "notification-mode": E("auto", "legacy-sendmail",
                                                                                        "notification-system"),
                    "pbs-change-detection-mode": E("legacy", "data", "metadata")})
    return out


def _tasks(rel):
    return {"node": NODE, "errors": B(), "limit": I(0), "since": I(), "source": E("archive", "active", "all"),
            "start": I(0), "statusfilter": S(), "typefilter": S(), "until": I(), "userfilter": S(),
            "vmid": vmid(rel, req=False)}


def _prune(rel):
    return {"node": NODE, "storage": STORAGE, "prune-backups": S(fmt=PRUNE), "type": E("qemu", "lxc"),
            "vmid": vmid(rel, req=False)}


UPID = {"node": NODE, "upid": S(req=True)}


def _download_url(rel):
    """pve-storage download_url: content iso/vztmpl (8.4+: also import, and `compression`)."""
    out = {"node": NODE, "storage": STORAGE, "url": S(pattern=r"https?://.*", req=True),
           "content": E("iso", "vztmpl", "import", req=True) if rel >= (8, 4) else E("iso", "vztmpl", req=True),
           "filename": S(255, req=True), "checksum": dict(S(), requires="checksum-algorithm"),
           "checksum-algorithm": dict(E("md5", "sha1", "sha224", "sha256", "sha384", "sha512"), requires="checksum"),
           "verify-certificates": B()}
    if rel >= (8, 4):
        out["compression"] = S()
    return out
SNAPNAME = S(40, fmt="pve-configid", req=True)
VOLUME = {"node": NODE, "storage": S(fmt="pve-storage-id"), "volume": S(req=True)}

# GET /nodes/{node}/network `type`, in the order releases added them: 7.4 has the first 10, 8.0 adds
# any_local_bridge, 8.4 vnet, 9.1 fabric and include_sdn (the published schemas)
NETWORK_TYPES = ("bridge", "bond", "eth", "alias", "vlan", "OVSBridge", "OVSBond", "OVSPort", "OVSIntPort",
                 "any_bridge", "any_local_bridge", "vnet", "fabric", "include_sdn")
TABLE = {
    ("POST", "/access/ticket"): lambda r: {"username": S(64, req=True), "password": S(req=True), "otp": S(),
                                           "realm": S(32), "path": dict(S(64), requires="privs"),
                                           "privs": dict(S(64), requires="path"), "new-format": B(),
                                           "tfa-challenge": S()},
    ("GET", "/version"): lambda r: {},
    ("GET", "/nodes"): lambda r: {},
    ("GET", "/nodes/{node}"): lambda r: {"node": NODE},
    ("GET", "/nodes/{node}/status"): lambda r: {"node": NODE},
    ("GET", "/cluster/status"): lambda r: {},
    ("GET", "/cluster/resources"): lambda r: {"type": E("vm", "storage", "node", "sdn")},
    ("GET", "/cluster/nextid"): lambda r: {"vmid": vmid(r, req=False)},
    ("GET", "/storage"): lambda r: {"type": S()},
    ("GET", "/pools"): _pools,
    ("GET", "/pools/{poolid}"): lambda r: {"poolid": dict(POOLID, optional=False), "type": E("qemu", "lxc", "storage")},
    ("PUT", "/pools"): lambda r: _pool_update(r, by_path=False),
    ("PUT", "/pools/{poolid}"): lambda r: _pool_update(r, by_path=True),
    ("GET", "/nodes/{node}/tasks"): _tasks,
    ("GET", "/nodes/{node}/tasks/{upid}"): lambda r: UPID,
    ("DELETE", "/nodes/{node}/tasks/{upid}"): lambda r: UPID,
    ("GET", "/nodes/{node}/tasks/{upid}/status"): lambda r: UPID,
    ("GET", "/nodes/{node}/tasks/{upid}/log"): lambda r: dict(UPID, start=I(0), limit=I(0), download=B()),
    ("GET", "/nodes/{node}/storage"): lambda r: {"node": NODE, "content": S(), "enabled": B(), "format": B(),
                                                 "storage": S(fmt="pve-storage-id"), "target": S()},
    ("GET", "/nodes/{node}/storage/{storage}/status"): lambda r: {"node": NODE, "storage": STORAGE},
    ("GET", "/nodes/{node}/network"): lambda r: {"node": NODE, "type": E(*NETWORK_TYPES[:10 + (r >= (8, 0)) + (r >= (8, 4)) + 2 * (r >= (9, 1))])},
    ("GET", "/nodes/{node}/storage/{storage}/content"): lambda r: {"node": NODE, "storage": STORAGE,
                                                                   "content": S(), "vmid": vmid(r, req=False)},
    ("GET", "/nodes/{node}/storage/{storage}/content/{volume}"): lambda r: VOLUME,
    ("PUT", "/nodes/{node}/storage/{storage}/content/{volume}"): lambda r: dict(VOLUME, notes=S(), protected=B()),
    ("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}"): lambda r: dict(VOLUME, delay=I(1, 30)),
    ("GET", "/nodes/{node}/storage/{storage}/prunebackups"): _prune,
    ("DELETE", "/nodes/{node}/storage/{storage}/prunebackups"): _prune,
    ("GET", "/nodes/{node}/qemu"): lambda r: {"node": NODE, "full": B()},
    ("POST", "/nodes/{node}/qemu"): guest_create,
    ("GET", "/nodes/{node}/qemu/{vmid}"): _vm,
    ("DELETE", "/nodes/{node}/qemu/{vmid}"): lambda r: _vm(r, purge=B(), skiplock=B(),
                                                           **{"destroy-unreferenced-disks": B()}),
    ("GET", "/nodes/{node}/qemu/{vmid}/config"): lambda r: _vm(r, current=B(), snapshot=S(40)),
    ("PUT", "/nodes/{node}/qemu/{vmid}/config"): lambda r: config_update(r, "PUT"),
    ("POST", "/nodes/{node}/qemu/{vmid}/config"): lambda r: config_update(r, "POST"),
    ("GET", "/nodes/{node}/qemu/{vmid}/pending"): _vm,
    ("GET", "/nodes/{node}/qemu/{vmid}/cloudinit"): _vm,
    ("PUT", "/nodes/{node}/qemu/{vmid}/cloudinit"): _vm,
    ("POST", "/nodes/{node}/qemu/{vmid}/clone"): lambda r: _vm(r, newid=vmid(r), name=S(fmt="dns-name"),
                                                               description=S(), full=B(),
                                                               format=E("raw", "qcow2", "vmdk"), pool=POOLID,
                                                               snapname=S(40), storage=S(fmt="pve-storage-id"),
                                                               target=S(fmt="pve-node"), bwlimit=I(0)),
    ("GET", "/nodes/{node}/qemu/{vmid}/status"): _vm,
    ("GET", "/nodes/{node}/qemu/{vmid}/status/current"): _vm,
    ("PUT", "/nodes/{node}/qemu/{vmid}/resize"): lambda r: _vm(r, disk=E(*DISKS, req=True),
                                                               size=S(pattern=DISK_SIZE, req=True),
                                                               digest=S(40), skiplock=B()),
    ("POST", "/nodes/{node}/qemu/{vmid}/template"): lambda r: _vm(r, disk=E(*DISKS)),
    ("POST", "/nodes/{node}/vzdump"): _vzdump,
    ("GET", "/nodes/{node}/qemu/{vmid}/snapshot"): _vm,
    ("POST", "/nodes/{node}/qemu/{vmid}/snapshot"): lambda r: _vm(r, snapname=SNAPNAME, description=S(), vmstate=B()),
    ("GET", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}"): lambda r: _vm(r, snapname=SNAPNAME),
    ("DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}"): lambda r: _vm(r, snapname=SNAPNAME, force=B()),
    ("POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback"): lambda r: _vm(r, snapname=SNAPNAME, start=B()),
    ("GET", "/nodes/{node}/vzdump/extractconfig"): lambda r: {"node": NODE, "volume": S(req=True)},
    ("GET", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config"): lambda r: _vm(r, snapname=SNAPNAME),
    ("PUT", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config"): lambda r: _vm(r, snapname=SNAPNAME,
                                                                                   description=S()),
    ("POST", "/nodes/{node}/storage/{storage}/download-url"): _download_url,
}
TABLE.update({   # /access/permissions and the guest agent (tasks-transport)
    ("GET", "/access/permissions"): lambda r: {
        "path": S(), "userid": S(pattern=r"[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+(?:![A-Za-z][A-Za-z0-9.\-_]+)?")},
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/ping"): _vm,
    ("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"): _vm,
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/set-user-password"): lambda r: _vm(
        r, username=S(req=True), password=dict(S(1024, req=True), minLength=5), crypted=B()),
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/exec"): lambda r: _vm(
        r, command=S() if r < (8, 0) else {"type": "array"}, **{"input-data": S(65536)}),
    ("GET", "/nodes/{node}/qemu/{vmid}/agent/exec-status"): lambda r: _vm(r, pid=I(req=True)),
})
TABLE.update({   # usage (RRD) and migration
    ("GET", "/nodes/{node}/qemu/{vmid}/rrddata"): lambda r: _vm(
        r, timeframe=E("hour", "day", "week", "month", "year", req=True), cf=E("AVERAGE", "MAX")),
    ("GET", "/nodes/{node}/qemu/{vmid}/migrate"): lambda r: _vm(r, target=S(fmt="pve-node")),
    ("POST", "/nodes/{node}/qemu/{vmid}/migrate"): lambda r: _migrate(r),
})


def _migrate(rel):
    out = _vm(rel, target=dict(NODE), online=B(), force=B(), bwlimit=I(0), migration_network=S(),
              migration_type=E("secure", "insecure"), targetstorage=S(), **{"with-local-disks": B()})
    if rel >= (9, 0):
        out["with-conntrack-state"] = B()
    return out



def _fw_digest(rel):
    return S(40 if rel < (8, 4) else 64)


IPSET_NAME = dict(S(64, r"[A-Za-z][A-Za-z0-9\-\_]+", req=True), minLength=2)
LOGLEVEL = E("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog")


def _fw_options(rel):
    """PUT .../firewall/options: pve-firewall $vm_option_properties (ndp's default 0 before 9.0, 1 from 9.0)."""
    return _vm(rel, delete=S(fmt="pve-configid-list"), digest=_fw_digest(rel), enable=B(), macfilter=B(), dhcp=B(),
               ndp=B(), radv=B(), ipfilter=B(), policy_in=E("ACCEPT", "REJECT", "DROP"),
               policy_out=E("ACCEPT", "REJECT", "DROP"), log_level_in=LOGLEVEL, log_level_out=LOGLEVEL)


def _fw_rule(rel, create=False):
    """The rule properties (pve-firewall add_rule_properties); ``type`` takes ``forward`` in the schema from 8.3
    (refused for guests by verify_rule)."""
    kinds = ("in", "out", "forward", "group") if rel >= (8, 4) else ("in", "out", "group")
    out = _vm(rel, digest=_fw_digest(rel), pos=I(0), type=E(*kinds, req=create),
              action=dict(S(20, r"[A-Za-z][A-Za-z0-9\-\_]+", req=create), minLength=2),
              macro=S(128), iface=dict(S(20, fmt="pve-iface"), minLength=2), source=S(512, fmt="pve-fw-addr-spec"),
              dest=S(512, fmt="pve-fw-addr-spec"), proto=S(fmt="pve-fw-protocol-spec"), enable=I(0),
              sport=S(fmt="pve-fw-sport-spec"), dport=S(fmt="pve-fw-dport-spec"), comment=S(), log=LOGLEVEL,
              **{"icmp-type": S(fmt="pve-fw-icmp-type-spec")})
    if not create:
        out.update(moveto=I(0), delete=S(fmt="pve-configid-list"))
    return out


_FW = "/nodes/{node}/qemu/{vmid}/firewall"
_CIDR = S(fmt="IPorCIDRorAlias", req=True)
TABLE.update({   # the guest firewall (pvesim/firewall.py)
    ("GET", _FW + "/options"): _vm,
    ("PUT", _FW + "/options"): _fw_options,
    ("GET", _FW + "/ipset"): _vm,
    ("POST", _FW + "/ipset"): lambda r: _vm(r, name=IPSET_NAME, comment=S(), digest=_fw_digest(r),
                                            rename=dict(IPSET_NAME, optional=True)),
    ("GET", _FW + "/ipset/{name}"): lambda r: _vm(r, name=IPSET_NAME),
    ("POST", _FW + "/ipset/{name}"): lambda r: _vm(r, name=IPSET_NAME, cidr=_CIDR, comment=S(), nomatch=B()),
    ("DELETE", _FW + "/ipset/{name}"): lambda r: _vm(r, name=IPSET_NAME, force=B()),
    ("GET", _FW + "/ipset/{name}/{cidr}"): lambda r: _vm(r, name=IPSET_NAME, cidr=_CIDR),
    ("PUT", _FW + "/ipset/{name}/{cidr}"): lambda r: _vm(r, name=IPSET_NAME, cidr=_CIDR, comment=S(), nomatch=B(),
                                                         digest=_fw_digest(r)),
    ("DELETE", _FW + "/ipset/{name}/{cidr}"): lambda r: _vm(r, name=IPSET_NAME, cidr=_CIDR, digest=_fw_digest(r)),
    ("GET", _FW + "/rules"): _vm,
    ("POST", _FW + "/rules"): lambda r: _fw_rule(r, create=True),
    ("GET", _FW + "/rules/{pos}"): lambda r: _vm(r, pos=I(0)),
    ("PUT", _FW + "/rules/{pos}"): _fw_rule,
    ("DELETE", _FW + "/rules/{pos}"): lambda r: _vm(r, pos=I(0), digest=_fw_digest(r)),
    ("GET", _FW + "/aliases"): _vm,
    ("GET", "/cluster/firewall/ipset"): lambda r: {},
    ("POST", "/cluster/firewall/ipset"): lambda r: {"name": IPSET_NAME, "comment": S(), "digest": _fw_digest(r),
                                                    "rename": dict(IPSET_NAME, optional=True)},
    ("GET", "/cluster/firewall/aliases"): lambda r: {},
})


for _action in ("start", "stop", "shutdown", "reboot", "reset", "suspend", "resume"):
    TABLE[("POST", "/nodes/{node}/qemu/{vmid}/status/" + _action)] = (lambda a: lambda r: _power(r, a))(_action)


@functools.lru_cache(maxsize=None)
def spec_for(method, template, rel):
    """The parameter spec of an endpoint for a release, or None when not implemented (built once, then shared)."""
    build = TABLE.get((method, template))
    return None if build is None else build(rel)
