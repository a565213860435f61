"""Backup retention (keep-last, keep-hourly, ... keep-yearly, keep-all) as PVE's prune selection marks it."""
import time

ORDER = ("keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly")
BUCKETS = {
    "keep-hourly": lambda t: time.strftime("%Y/%m/%d/%H", time.localtime(t)),
    "keep-daily": lambda t: time.strftime("%Y/%m/%d", time.localtime(t)),
    "keep-weekly": lambda t: time.strftime("%G/%V", time.localtime(t)),
    "keep-monthly": lambda t: time.strftime("%Y/%m", time.localtime(t)),
    "keep-yearly": lambda t: time.strftime("%Y", time.localtime(t)),
}


def parse_options(text):
    out = {}
    for part in [p for p in (text or "").split(",") if p]:
        key, _, value = part.partition("=")
        out[key] = int(value)
    return out


def _mark(entries, count, bucket):
    """Keep the newest entry of up to `count` buckets not kept yet; others of a seen bucket are removed."""
    kept_buckets = {bucket(e["ctime"]) for e in entries if e.get("mark") == "keep"}
    new_buckets = set()
    for entry in entries:
        if entry.get("mark"):
            continue
        key = bucket(entry["ctime"])
        if key in kept_buckets:
            continue
        if key in new_buckets:
            entry["mark"] = "remove"
            continue
        if len(new_buckets) >= count:
            break
        new_buckets.add(key)
        entry["mark"] = "keep"


def select(archives, options_text):
    """archives: volumes of one guest. Returns [{volid, ctime, vmid, type, mark}] newest first."""
    options = parse_options(options_text)
    entries = [{"volid": v.volid, "ctime": v.ctime, "vmid": v.vmid, "type": "qemu",
                "mark": "protected" if v.protected else None} for v in archives]
    entries.sort(key=lambda e: e["ctime"], reverse=True)
    if options.get("keep-all") or not any(options.get(k) for k in ORDER):
        for entry in entries:
            entry["mark"] = entry["mark"] or "keep"
        return entries
    for option in ORDER:
        if options.get(option):
            bucket = BUCKETS.get(option, lambda t: t)
            _mark(entries, options[option], bucket)
    for entry in entries:
        entry["mark"] = entry["mark"] or "remove"
    return entries


def select_storage(storage, options_text, vmid=None):
    """Prune marks for every guest's archives on a storage (one group per vmid)."""
    groups = {}
    for vol in storage.volumes.values():
        if vol.content == "backup" and (vmid is None or vol.vmid == vmid):
            groups.setdefault(vol.vmid, []).append(vol)
    out = []
    for key in sorted(groups):
        out += select(groups[key], options_text)
    return out
