"""GET /nodes/{node}/qemu/{vmid}/rrddata: a guest's RRD series, with deterministic synthetic traffic.

Layout per release, as pmxcfs creates the files and PVE::RRD::create_rrd_data reads them:
- 7.x/8.x (pve-cluster stable-bookworm src/pmxcfs/status.c rrd_def_vm "pve2.3-vm", PVE/RRD.pm $setup): every
  timeframe is 70 rows: hour 1 min, day 30 min, week 3 h, month 12 h, year 1 week.
- 9.x (pve-cluster master src/pmxcfs/status.c rrd_def_vm_pve9_0, "pmxcfs: status: always use 9.0 rrd files";
  PVE/RRD.pm $setup; qemu-server "rrddata: use fixed pve-vm-9.0 path"): hour 60 rows of 1 min, day 1440 of 1 min,
  week 336 of 30 min, month 1440 of 30 min, year 1440 of 6 h; the file adds memhost and the pressure columns.

Rows: ``ctime = reso * floor(now / reso)``; row i (0-based, of ``count``) has ``time = ctime - reso * (count - i)``
and holds the consolidated value of the step [time, time + reso).

Synthetic traffic (the formula tests compute bytes with). For guest ``vmid`` and minute ``m = t // 60``:
``k = vmid % 50 + 1``, ``w = 1 + m % 5``; while the guest runs (its current status; its whole history is taken to
look like that):
    netin = 1000*k*w, netout = 2000*k*w, diskread = 500*k*w, diskwrite = 3000*k*w   (bytes per second)
    cpu = (vmid % 10 + 1) * w / 200   (fraction of maxcpu), mem = maxmem / 2
A stopped guest or a template has rates 0, cpu 0 and mem 0. A row's AVERAGE is the mean over its minutes, MAX the
largest; every step of 30 min and more spans whole 5-minute cycles: AVERAGE = 3*k*base, MAX = 5*k*base.
"""
from .errors import fail
from .guests import boot_disk_size

MINUTE = 60
SETUP_PVE2 = {"hour": (60, 70), "day": (1800, 70), "week": (10800, 70), "month": (43200, 70), "year": (604800, 70)}
SETUP_PVE9 = {"hour": (60, 60), "day": (60, 1440), "week": (1800, 336), "month": (1800, 1440), "year": (21600, 1440)}
RATES = {"netin": 1000, "netout": 2000, "diskread": 500, "diskwrite": 3000}
PRESSURE = ("pressurecpusome", "pressurecpufull", "pressureiosome", "pressureiofull", "pressurememorysome",
            "pressurememoryfull")


def setup(release, timeframe):
    """(step seconds, row count) of a timeframe on a release."""
    return (SETUP_PVE9 if release >= (9, 0) else SETUP_PVE2)[timeframe]


def minute_weight(minute):
    return 1 + minute % 5


def consolidate(start, reso, cf):
    """The weight w over the step [start, start + reso): mean (AVERAGE) or largest (MAX) of its minutes."""
    first = start // MINUTE
    minutes = max(1, reso // MINUTE)
    if minutes % 5 == 0:
        return 3.0 if cf == "AVERAGE" else 5.0
    weights = [minute_weight(first + i) for i in range(minutes)]
    return float(sum(weights)) / len(weights) if cf == "AVERAGE" else float(max(weights))


def row(guest, start, reso, cf, release):
    maxmem = guest.memory_mb() * 1024 * 1024
    out = {"time": start, "maxcpu": guest.cpus(), "maxmem": maxmem, "maxdisk": boot_disk_size(guest), "disk": 0}
    running = guest.status == "running" and not guest.template
    weight = consolidate(start, reso, cf) if running else 0.0
    k = guest.vmid % 50 + 1
    for name, base in RATES.items():
        out[name] = base * k * weight
    out["cpu"] = (guest.vmid % 10 + 1) * weight / 200.0
    out["mem"] = maxmem / 2 if running else 0
    if release >= (9, 0):
        out["memhost"] = out["mem"]
        out.update((name, 0) for name in PRESSURE)
    return out


def rrddata(call):
    """GET /nodes/{node}/qemu/{vmid}/rrddata (qemu-server API2/Qemu.pm rrddata: no proxyto, read from the local
    rrdcached files every node keeps for every guest of the cluster). An unknown vmid has no file."""
    state = call.state
    state.check_node(call.params["node"])
    vmid = call.params["vmid"]
    guest = state.guests.get(int(vmid))
    rrdname = "pve-vm-9.0/%d" % vmid if state.release >= (9, 0) else "pve2-vm/%d" % vmid
    if guest is None:
        raise fail("RRD error: opening '/var/lib/rrdcached/db/%s': No such file or directory" % rrdname)
    cf = call.params.get("cf") or "AVERAGE"
    reso, count = setup(state.release, call.params["timeframe"])
    ctime = reso * int(call.clock.now() // reso)
    return [row(guest, ctime - reso * (count - i), reso, cf, state.release) for i in range(count)]
