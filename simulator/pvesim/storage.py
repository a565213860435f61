"""Storage endpoints: list, status, content list/read/update/delete."""
from .errors import fail

BACKUP_DIR = "/var/lib/vz/dump"


def _storage(call):
    call.state.check_node(call.params["node"])
    return call.state.storage(call.params["node"], call.params["storage"])


def storage_list(call):
    call.state.check_node(call.params["node"])
    wanted = set((call.params.get("content") or "").split(",")) - {""}
    out = []
    for (node, _name), st in sorted(call.state.storages.items()):
        if node != call.params["node"]:
            continue
        if wanted and not wanted & set(st.content):
            continue
        if call.params.get("storage") and call.params["storage"] != st.name:
            continue
        out.append(st.info())
    return out


def storage_status(call):
    info = _storage(call).info()
    info.pop("storage")
    return info


def content_entry(vol):
    out = {"volid": vol.volid, "content": vol.content, "format": vol.format, "size": vol.size}
    if vol.vmid is not None:
        out["vmid"] = vol.vmid
    if vol.content == "backup":
        out.update(ctime=vol.ctime, subtype="qemu")
        if vol.notes:
            # the listing reads only the first line of the .notes file (pve-storage Plugin.pm, file_read_firstline)
            out["notes"] = vol.notes.split("\n", 1)[0]
        if vol.protected:
            out["protected"] = 1
    elif vol.content in ("iso", "vztmpl"):
        out["ctime"] = vol.ctime            # pve-storage Plugin.pm get_subdir_files: volid, format, size, ctime
    else:
        out["used"] = vol.size
    return out


def content_list(call):
    st = _storage(call)
    content, vmid = call.params.get("content"), call.params.get("vmid")
    vols = [v for v in st.volumes.values() if (not content or v.content == content) and (vmid is None or v.vmid == vmid)]
    return [content_entry(v) for v in sorted(vols, key=lambda v: v.volid)]


def volume_of(call):
    """The volume named by {volume} (full volid or name within {storage})."""
    node, volume = call.params["node"], call.params["volume"]
    call.state.check_node(node)
    if ":" not in volume:
        volume = "%s:%s" % (call.params.get("storage"), volume)
    vol = call.state.find_volume(node, volume)
    if vol is None:
        raise fail("volume '%s' does not exist" % volume)
    return vol


def content_get(call):
    vol = volume_of(call)
    out = {"path": path_of(vol), "size": vol.size, "used": vol.size, "format": vol.format}
    if vol.content == "backup":
        out["protected"] = 1 if vol.protected else 0
        if vol.notes:
            out["notes"] = vol.notes
    return out


def path_of(vol):
    storage, name = vol.volid.split(":", 1)
    if storage == "local":
        if name.startswith("iso/"):
            return "/var/lib/vz/template/" + name
        return "%s/%s" % (BACKUP_DIR, name.split("/", 1)[1]) if name.startswith("backup/") else "/var/lib/vz/" + name
    return "/dev/pve/%s" % name.split("/")[-1]


def content_put(call):
    vol = volume_of(call)
    if "notes" in call.params:
        if vol.content != "backup":
            raise fail("volume notes are not supported for %s" % vol.volid)
        vol.notes = call.params["notes"] or None
    if "protected" in call.params:
        if vol.content != "backup":
            raise fail("protection is not supported for %s" % vol.volid)
        vol.protected = bool(call.params["protected"])
    return None


def content_delete(call):
    vol = volume_of(call)
    state, node = call.state, call.params["node"]
    storage = vol.volid.split(":", 1)[0]
    error = None
    if vol.protected:
        error = "cannot remove protected archive '%s'" % path_of(vol)
    elif vol.content == "images" and any(vol.volid in str(v) for g in state.guests.values() if g.node == node
                                         for v in g.config.values()):
        error = "unable to delete '%s' - volume is still in use by guest" % vol.volid

    def on_ok():
        state.free_volume(node, vol.volid)

    ident = ("%d@" % vol.vmid if vol.vmid is not None else "") + storage
    lines = lambda d: [(d * 0.5, "Removed volume '%s'" % vol.volid)] if not error else []
    return call.start_task("imgdel", ident, 0.5, lines, on_ok=on_ok, error=error)
