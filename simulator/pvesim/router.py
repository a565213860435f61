"""The route table: method + path template -> handler and the privilege it needs."""
import re

from . import agent, auth, backups, clone, cluster, guests, pools, power, resize, snapshots, storage, tasksapi
from . import firewall, isos, migrate, network, rrd

VMS = "/vms/{vmid}"
ROUTES = [
    ("GET", "/version", cluster.version, None),
    ("GET", "/nodes", cluster.nodes, None),
    ("GET", "/nodes/{node}", cluster.node_index, None),
    ("GET", "/nodes/{node}/status", cluster.node_status, None),
    ("GET", "/cluster/status", cluster.cluster_status, None),
    ("GET", "/cluster/resources", cluster.resources, None),
    ("GET", "/cluster/nextid", cluster.nextid, None),
    ("GET", "/storage", cluster.storage_index, None),
    ("GET", "/pools", pools.pool_list, None),
    ("GET", "/pools/{poolid}", pools.pool_get, None),
    ("PUT", "/pools", pools.pool_update, ("/pool/{poolid}", "Pool.Allocate")),
    ("PUT", "/pools/{poolid}", pools.pool_update, ("/pool/{poolid}", "Pool.Allocate")),
    ("GET", "/nodes/{node}/tasks", tasksapi.task_list, None),
    ("GET", "/nodes/{node}/tasks/{upid}", tasksapi.task_index, None),
    ("DELETE", "/nodes/{node}/tasks/{upid}", tasksapi.task_stop, ("/nodes/{node}", "Sys.Modify")),
    ("GET", "/nodes/{node}/tasks/{upid}/status", tasksapi.task_status, None),
    ("GET", "/nodes/{node}/tasks/{upid}/log", tasksapi.task_log, None),
    ("GET", "/nodes/{node}/storage", storage.storage_list, None),
    ("GET", "/nodes/{node}/network", network.network_index, None),
    ("GET", "/nodes/{node}/storage/{storage}/status", storage.storage_status, None),
    ("GET", "/nodes/{node}/storage/{storage}/content", storage.content_list, None),
    ("GET", "/nodes/{node}/storage/{storage}/content/{volume}", storage.content_get, None),
    ("PUT", "/nodes/{node}/storage/{storage}/content/{volume}", storage.content_put,
     ("/storage/{storage}", "Datastore.Allocate")),
    ("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", storage.content_delete,
     ("/storage/{storage}", "Datastore.Allocate")),
    ("GET", "/nodes/{node}/storage/{storage}/prunebackups", backups.prune_dry_run, None),
    ("DELETE", "/nodes/{node}/storage/{storage}/prunebackups", backups.prune,
     ("/storage/{storage}", "Datastore.Allocate")),
    ("GET", "/nodes/{node}/qemu", guests.list_guests, None),
    ("POST", "/nodes/{node}/qemu", backups.create_or_restore, (VMS, "VM.Allocate")),
    ("GET", "/nodes/{node}/qemu/{vmid}", guests.guest_index, None),
    ("DELETE", "/nodes/{node}/qemu/{vmid}", guests.destroy, (VMS, "VM.Allocate")),
    ("GET", "/nodes/{node}/qemu/{vmid}/config", guests.get_config, None),
    ("PUT", "/nodes/{node}/qemu/{vmid}/config", guests.put_config, (VMS, "VM.Config.Options")),
    ("POST", "/nodes/{node}/qemu/{vmid}/config", guests.post_config, (VMS, "VM.Config.Options")),
    ("GET", "/nodes/{node}/qemu/{vmid}/pending", guests.get_pending, None),
    ("GET", "/nodes/{node}/qemu/{vmid}/cloudinit", guests.cloudinit_view, None),
    ("PUT", "/nodes/{node}/qemu/{vmid}/cloudinit", guests.put_cloudinit, (VMS, "VM.Config.Cloudinit")),
    ("POST", "/nodes/{node}/qemu/{vmid}/clone", clone.clone, (VMS, "VM.Clone")),
    ("GET", "/nodes/{node}/qemu/{vmid}/status", guests.status_index, None),
    ("GET", "/nodes/{node}/qemu/{vmid}/status/current", guests.status_current, None),
    ("PUT", "/nodes/{node}/qemu/{vmid}/resize", resize.resize, (VMS, "VM.Config.Disk")),
    ("POST", "/nodes/{node}/qemu/{vmid}/template", guests.template, (VMS, "VM.Allocate")),
    ("GET", "/nodes/{node}/qemu/{vmid}/rrddata", rrd.rrddata, None),
    ("GET", "/nodes/{node}/qemu/{vmid}/migrate", migrate.precondition, None),
    ("POST", "/nodes/{node}/qemu/{vmid}/migrate", migrate.migrate, (VMS, "VM.Migrate")),
    ("POST", "/nodes/{node}/vzdump", backups.vzdump, ("/vms/{vmid}", "VM.Backup")),
    ("GET", "/nodes/{node}/vzdump/extractconfig", backups.extractconfig, ("/vms/{vmid}", "VM.Backup")),
    ("GET", "/nodes/{node}/qemu/{vmid}/snapshot", snapshots.snapshot_list, None),
    ("POST", "/nodes/{node}/qemu/{vmid}/snapshot", snapshots.snapshot_create, (VMS, "VM.Snapshot")),
    ("GET", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}", snapshots.snapshot_index, None),
    ("DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}", snapshots.snapshot_delete, (VMS, "VM.Snapshot")),
    ("POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", snapshots.snapshot_rollback,
     (VMS, "VM.Snapshot.Rollback")),
    ("GET", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config", snapshots.snapshot_config, None),
    ("PUT", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config", snapshots.snapshot_update,
     (VMS, "VM.Snapshot")),
    ("POST", "/nodes/{node}/storage/{storage}/download-url", isos.download_url,
     ("/storage/{storage}", "Datastore.AllocateTemplate")),
    ("POST", "/access/ticket", None, None),
    ("GET", "/access/permissions", auth.access_permissions, None),
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/ping", agent.ping, (VMS, "VM.Monitor")),
    ("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", agent.network_get_interfaces,
     (VMS, "VM.Monitor")),
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/set-user-password", agent.set_user_password, (VMS, "VM.Monitor")),
    ("POST", "/nodes/{node}/qemu/{vmid}/agent/exec", agent.agent_exec, (VMS, "VM.Monitor")),
    ("GET", "/nodes/{node}/qemu/{vmid}/agent/exec-status", agent.agent_exec_status, (VMS, "VM.Monitor")),
]
FW = "/nodes/{node}/qemu/{vmid}/firewall"
NET = (VMS, "VM.Config.Network")
ROUTES += [
    ("GET", FW + "/options", firewall.get_options, None),
    ("PUT", FW + "/options", firewall.put_options, NET),
    ("GET", FW + "/ipset", firewall.ipset_index, None),
    ("POST", FW + "/ipset", firewall.ipset_create, NET),
    ("GET", FW + "/ipset/{name}", firewall.ipset_get, None),
    ("POST", FW + "/ipset/{name}", firewall.ipset_add, NET),
    ("DELETE", FW + "/ipset/{name}", firewall.ipset_delete, NET),
    ("GET", FW + "/ipset/{name}/{cidr}", firewall.ip_get, None),
    ("PUT", FW + "/ipset/{name}/{cidr}", firewall.ip_update, NET),
    ("DELETE", FW + "/ipset/{name}/{cidr}", firewall.ip_delete, NET),
    ("GET", FW + "/rules", firewall.rules_index, None),
    ("POST", FW + "/rules", firewall.rule_create, NET),
    ("GET", FW + "/rules/{pos}", firewall.rule_get, None),
    ("PUT", FW + "/rules/{pos}", firewall.rule_update, NET),
    ("DELETE", FW + "/rules/{pos}", firewall.rule_delete, NET),
    ("GET", FW + "/aliases", firewall.alias_index, None),
    ("GET", "/cluster/firewall/ipset", firewall.cluster_ipset_index, None),
    ("POST", "/cluster/firewall/ipset", firewall.cluster_ipset_create, ("/", "Sys.Modify")),
    ("GET", "/cluster/firewall/aliases", firewall.cluster_alias_index, None),
]
ROUTES += [("POST", "/nodes/{node}/qemu/{vmid}/status/" + a, power.power(a), (VMS, "VM.PowerMgmt"))
           for a in ("start", "stop", "shutdown", "reboot", "reset", "suspend", "resume")]
READ_ONLY_DENIED = {("GET", "/nodes/{node}/vzdump/extractconfig"),
                    ("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"),   # VM.Monitor (7.4-8.4)
                    ("GET", "/nodes/{node}/qemu/{vmid}/agent/exec-status")}


def _compile(template):
    rx = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile("^" + rx + "$")


COMPILED = sorted(((t.count("{"), _compile(t), m, t, h, p) for m, t, h, p in ROUTES), key=lambda r: r[0])


def match(method, path):
    """(template, handler, perm, path args) or raises LookupError; path args still percent-encoded."""
    allowed = False
    for _n, rx, meth, template, handler, perm in COMPILED:
        m = rx.match(path)
        if m:
            allowed = True
            if meth == method:
                return template, handler, perm, m.groupdict()
    raise LookupError("method" if allowed else "path")
