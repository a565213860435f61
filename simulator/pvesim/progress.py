"""Progress lines as PVE's workers print them (clone mirror, vzdump, restore)."""


def human(nbytes):
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return "%.1f %s" % (value, unit)
        value /= 1024.0
    return "%.1f TiB" % value


def steps(count=10):
    return [i / float(count) for i in range(1, count + 1)]


def transfer_lines(prefix, size, start, span, suffix=""):
    """'drive-scsi0: transferred 1.0 GiB of 2.0 GiB (50.00%) in 1s' lines over [start, start+span]."""
    lines = [(start, "%stransferred 0.0 B of %s (0.00%%) in 0s" % (prefix, human(size)))]
    for frac in steps():
        at = start + span * frac
        end = suffix if frac == 1.0 else ""
        lines.append((at, "%stransferred %s of %s (%.2f%%) in %ds%s"
                      % (prefix, human(size * frac), human(size), frac * 100, int(span * frac), end)))
    return lines


def convert_lines(size, start, span):
    """qemu-img convert's progress as qemu-server prints it (qemu_img_convert: "(12.34/100%)" from qemu-img -p
    becomes 'transferred 253.0 MiB of 2.0 GiB (12.34%)'); transferred is int(size * percent / 100)."""
    return [(start + span * frac, "transferred %s of %s (%.2f%%)" % (human(int(size * frac)), human(size), frac * 100))
            for frac in [0.0] + steps()]


def vzdump_lines(size, start, span):
    """'INFO:  50% (1.0 GiB of 2.0 GiB) in 2s, read: 512.0 MiB/s, write: 480.0 MiB/s'"""
    lines = []
    for frac in steps():
        secs = max(span * frac, 0.001)
        rate = human(size * frac / secs)
        lines.append((start + span * frac, "INFO: %3d%% (%s of %s) in %ds, read: %s/s, write: %s/s"
                      % (int(frac * 100), human(size * frac), human(size), int(span * frac), rate, rate)))
    return lines


def restore_lines(size, start, span):
    """'progress 50% (read 1073741824 bytes, duration 1 sec)'"""
    return [(start + span * frac, "progress %d%% (read %d bytes, duration %d sec)"
             % (int(frac * 100), int(size * frac), int(span * frac))) for frac in steps()]
