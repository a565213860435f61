# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input suite's data: per module, inputs a panel's customer might send and the option the refusal names.

test_bad_inputs.py runs every module's list in one playbook against one simulator; docs/validation.md is rendered
from this data (``python tests/integration/bad_inputs.py > docs/validation.md``) and a test keeps the two equal.

Each case is ``(label, module arguments, option the message must name)``. The simulator holds the seeded templates
(debian-12 is vmid 9000 on pve1 with a 2G disk) plus server ``srv1`` (vmid ``SERVER_VMID``, cloned from debian-12 by
the test's fixture) and one backup archive of it on storage ``local``.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

SERVER = "srv1"
SERVER_VMID = 150
TEMPLATE = "debian-12"
BAD_UPID = "UPID:nosuch:00001234:00005678:6745A000:qmstart:150:root@pam:"

MODULES = ("jotun_server", "jotun_server_info", "jotun_disk_resize", "jotun_backup", "jotun_backup_info",
           "jotun_task", "jotun_node_info")
WAITING = ("jotun_server", "jotun_disk_resize", "jotun_backup", "jotun_task")

# connection options: every module takes them and checks them before it connects
CONNECTION = [
    ("api_timeout -1", {"api_timeout": -1}, "api_timeout"),
    ("api_timeout 0", {"api_timeout": 0}, "api_timeout"),
    ("api_timeout not a number", {"api_timeout": "soon"}, "api_timeout"),
    ("api_connect_timeout -5", {"api_connect_timeout": -5}, "api_connect_timeout"),
    ("api_connect_timeout 0", {"api_connect_timeout": 0}, "api_connect_timeout"),
    ("api_connect_timeout 1e12", {"api_connect_timeout": 1e12}, "api_connect_timeout"),
    ("api_timeout 1e308", {"api_timeout": 1e308}, "api_timeout"),
    ("api_port 70000", {"api_port": 70000}, "api_port"),
    ("api_port 0", {"api_port": 0}, "api_port"),
    ("api_port -1", {"api_port": -1}, "api_port"),
    ("api_port not a number", {"api_port": "https"}, "api_port"),
    ("port in api_host and api_port", {"api_host": "127.0.0.1:8006", "api_port": 8006}, "api_port"),
    ("api_host empty", {"api_host": ""}, "api_host"),
    ("api_host with a space", {"api_host": "pve 1"}, "api_host"),
    ("api_host with a path", {"api_host": "https://pve1/api2/json"}, "api_host"),
    ("api_host with a bad port", {"api_host": "pve1:http"}, "api_host"),
    ("api_user without realm", {"api_user": "root", "api_password": "a-password-1"}, "api_user"),
    ("api_user realm only", {"api_user": "@pam", "api_password": "a-password-1"}, "api_user"),
    ("api_password with newline", {"api_user": "root@pam", "api_password": "a-password-1\n"}, "api_password"),
    ("api_password padded", {"api_user": "root@pam", "api_password": " a-password-1 "}, "api_password"),
    ("api_token_secret padded", {"api_token_secret": " 5f42d79a-0000 "}, "api_token_secret"),
    ("api_token_secret control char", {"api_token_secret": "5f42d79a\t0000"}, "api_token_secret"),
    ("api_token_id with a space", {"api_token_id": "root@pam!a b"}, "api_token_id"),
    ("api_token_id without realm", {"api_token_id": "root!jotun"}, "api_token_id"),
    ("ca_path missing", {"ca_path": "/nonexistent/ca.pem"}, "ca_path"),
    ("validate_certs not a bool", {"validate_certs": "perhaps"}, "validate_certs"),
]
WAIT = [
    ("wait_timeout -1", {"wait_timeout": -1}, "wait_timeout"),
    ("wait_timeout 0", {"wait_timeout": 0}, "wait_timeout"),
    ("wait_timeout 1e308", {"wait_timeout": 1e308}, "wait_timeout"),
]

NEW = {"name": "new1", "template": TEMPLATE}
OLD = {"name": SERVER}

OWN = {
    "jotun_server": [
        ("name empty", {"name": "", "template": TEMPLATE}, "name"),
        ("name with comma", {"name": "web,01", "template": TEMPLATE}, "name"),
        ("name with =", {"name": "web=01", "template": TEMPLATE}, "name"),
        ("name with ;", {"name": "web;01", "template": TEMPLATE}, "name"),
        ("name with newline", {"name": "web\n01", "template": TEMPLATE}, "name"),
        ("name of a template", {"name": TEMPLATE, "template": TEMPLATE}, "name"),
        ("vmid 99", dict(NEW, vmid=99), "vmid"),
        ("vmid 1000000000", dict(NEW, vmid=1000000000), "vmid"),
        ("vmid not a number", dict(NEW, vmid="abc"), "vmid"),
        ("vmid and name disagree", {"name": "other1", "vmid": 9000}, "vmid"),
        ("cores 0", dict(NEW, cores=0), "cores"),
        ("memory 1", dict(NEW, memory=1), "memory"),
        ("balloon above memory", dict(NEW, memory=1024, balloon=2048), "balloon"),
        ("balloon above the template's memory", dict(NEW, balloon=4096), "balloon"),
        ("balloon above the server's memory", dict(OLD, balloon=4096), "balloon"),
        ("vlan 5000", dict(NEW, vlan=5000), "vlan"),
        ("rate_limit -1", dict(NEW, rate_limit=-1), "rate_limit"),
        ("rate_limit nan", dict(NEW, rate_limit=float("nan")), "rate_limit"),
        ("shutdown_timeout -1", dict(OLD, shutdown_timeout=-1), "shutdown_timeout"),
        ("disk_size below the template's", dict(NEW, disk_size="1G"), "disk_size"),
        ("disk_size bare number", dict(NEW, disk_size="20"), "disk_size"),
        ("disk_size garbage", dict(NEW, disk_size="big"), "disk_size"),
        ("disk_size negative", dict(NEW, disk_size="-5G"), "disk_size"),
        ("cores plus disk_size below the server's", dict(OLD, cores=4, disk_size="1G"), "disk_size"),
        ("bridge with property", dict(NEW, bridge="vmbr0,tag=5"), "bridge"),
        ("bridge empty", dict(OLD, bridge=""), "bridge"),
        ("bridge not on the node", dict(NEW, bridge="vmbr9"), "bridge"),
        ("bridge not on the server's node", dict(OLD, bridge="vmbr9", cores=2), "bridge"),
        ("mac garbage", dict(NEW, mac="zz:zz"), "mac"),
        ("mac with property", dict(NEW, mac="52:54:00:12:34:56,bridge=vmbr1"), "mac"),
        ("ciuser with comma", dict(NEW, ciuser="admin,x"), "ciuser"),
        ("ciuser with newline", dict(NEW, ciuser="admin\nroot"), "ciuser"),
        ("storage unknown", dict(NEW, storage="nosuch"), "storage"),
        ("storage without images", dict(NEW, storage="local"), "storage"),
        ("pool unknown", dict(NEW, pool="nosuch"), "pool"),
        ("pool unknown on existing server", dict(OLD, pool="nosuch", cores=2), "pool"),
        ("pool with comma", dict(NEW, pool="a,b"), "pool"),
        ("template unknown", {"name": "new1", "template": "nosuch"}, "template"),
        ("template not a template", {"name": "new1", "template": str(SERVER_VMID)}, "template"),
        ("template vmid unknown", {"name": "new1", "template": "9999"}, "template"),
        ("node unknown", dict(NEW, node="nosuch"), "node"),
        ("ipconfig garbage", dict(NEW, ipconfig=["ip=banana"]), "ipconfig"),
        ("sshkeys garbage", dict(NEW, sshkeys=["not a key"]), "sshkeys"),
        ("tags with comma", dict(NEW, tags=["a,b"]), "tags"),
        ("networks net0", dict(NEW, networks=[{"index": 0, "bridge": "vmbr1"}]), "networks"),
        ("networks net32", dict(NEW, networks=[{"index": 32, "bridge": "vmbr1"}]), "networks"),
        ("networks one NIC twice", dict(NEW, networks=[{"bridge": "vmbr1"}, {"index": 1, "bridge": "vmbr0"}]),
         "networks"),
        ("networks unknown key", dict(NEW, networks=[{"bridge": "vmbr1", "vlna": 5}]), "networks"),
        ("networks bridge with property", dict(NEW, networks=[{"bridge": "vmbr1,tag=5"}]), "networks"),
        ("networks vlan 5000", dict(NEW, networks=[{"bridge": "vmbr1", "vlan": 5000}]), "networks"),
        ("networks rate_limit -1", dict(NEW, networks=[{"bridge": "vmbr1", "rate_limit": -1}]), "networks"),
        ("networks unknown model", dict(NEW, networks=[{"bridge": "vmbr1", "model": "virtio-net"}]), "networks"),
        ("networks rate_limit nan", dict(NEW, networks=[{"bridge": "vmbr1", "rate_limit": float("nan")}]), "networks"),
        ("networks rate_limit inf", dict(NEW, networks=[{"bridge": "vmbr1", "rate_limit": float("inf")}]), "networks"),
        ("networks mac garbage", dict(NEW, networks=[{"bridge": "vmbr1", "mac": "zz:zz"}]), "networks"),
        ("networks one MAC twice", dict(NEW, networks=[{"bridge": "vmbr1", "mac": "52:54:00:12:34:56"},
                                                       {"bridge": "vmbr1", "mac": "52-54-00-12-34-56"}]), "networks"),
        ("networks ipconfig garbage", dict(NEW, networks=[{"bridge": "vmbr1", "ipconfig": {"ip": "banana"}}]),
         "networks"),
        ("networks ipconfig key twice", dict(NEW, networks=[{"bridge": "vmbr1", "ipconfig": "ip=10.0.0.5/24,ip=dhcp"}]),
         "networks"),
        ("networks ipconfig also in ipconfig", dict(NEW, ipconfig=["dhcp", "dhcp"],
                                                    networks=[{"bridge": "vmbr1", "ipconfig": "dhcp"}]), "networks"),
        ("networks bridge not on the node", dict(NEW, networks=[{"bridge": "vmbr7"}]), "networks"),
        ("networks new NIC without bridge", dict(NEW, networks=[{"vlan": 5}]), "networks"),
        ("networks bridge not on the server's node", dict(OLD, networks=[{"bridge": "vmbr7"}]), "networks"),
        ("networks new NIC of a server without bridge", dict(OLD, cores=2, networks=[{"index": 3, "vlan": 5}]),
         "networks"),
        ("remove_unlisted_networks without networks", dict(OLD, remove_unlisted_networks=True),
         "remove_unlisted_networks"),
        ("disks slot past the bus", dict(NEW, disks=[{"slot": "scsi31", "size": "1G"}]), "disks[0].slot"),
        ("disks slot not a bus", dict(NEW, disks=[{"slot": "nvme1", "size": "1G"}]), "disks[0].slot"),
        ("disks slot 01", dict(NEW, disks=[{"slot": "scsi01", "size": "1G"}]), "disks[0].slot"),
        ("disks slot twice", dict(NEW, disks=[{"slot": "scsi1", "size": "1G"}, {"slot": "scsi1", "size": "2G"}]),
         "disks[1].slot"),
        ("disks slot of the boot disk", dict(OLD, disks=[{"slot": "scsi0", "size": "4G"}]), "disks[0].slot"),
        ("disks slot of the cloud-init drive", dict(OLD, disks=[{"slot": "ide2", "size": "4G"}]), "disks[0].slot"),
        ("disks slot the rescue ISO goes into", dict(OLD, state="rescued", rescue_iso="systemrescue-11.02-amd64.iso",
                                                     disks=[{"slot": "ide3", "size": "1G"}]), "disks[0].slot"),
        ("disks size garbage", dict(NEW, disks=[{"slot": "scsi1", "size": "lots"}]), "disks[0].size"),
        ("disks size bare number", dict(NEW, disks=[{"slot": "scsi1", "size": "10"}]), "disks[0].size"),
        ("disks size below 1M", dict(NEW, disks=[{"slot": "scsi1", "size": "1.5K"}]), "disks[0].size"),
        ("disks size relative", dict(OLD, disks=[{"slot": "scsi1", "size": "+1G"}]), "disks[0].size"),
        ("disks size missing", dict(NEW, disks=[{"slot": "scsi1"}]), "size"),
        ("disks storage unknown", dict(OLD, disks=[{"slot": "scsi1", "size": "1G", "storage": "nosuch"}]),
         "disks[0].storage"),
        ("disks storage without images", dict(NEW, disks=[{"slot": "scsi1", "size": "1G", "storage": "local"}]),
         "disks[0].storage"),
        ("disks storage with comma", dict(NEW, disks=[{"slot": "scsi1", "size": "1G", "storage": "a,b"}]),
         "disks[0].storage"),
        ("disks ssd on virtio", dict(NEW, disks=[{"slot": "virtio1", "size": "1G", "ssd": True}]), "disks[0].ssd"),
        ("disks iothread on sata", dict(NEW, disks=[{"slot": "sata1", "size": "1G", "iothread": True}]),
         "disks[0].iothread"),
        ("disks cache unknown", dict(NEW, disks=[{"slot": "scsi1", "size": "1G", "cache": "fast"}]), "cache"),
        ("remove_unlisted_disks without disks", dict(OLD, remove_unlisted_disks=True), "remove_unlisted_disks"),
        ("firewall neither bool nor dict", dict(OLD, firewall="maybe"), "firewall"),
        ("firewall unknown key", dict(OLD, firewall={"enable": True}), "firewall.enable"),
        ("firewall policy_in ALLOW", dict(OLD, firewall={"policy_in": "ALLOW"}), "firewall.policy_in"),
        ("firewall rule action ALLOW", dict(OLD, firewall={"rules": [{"action": "ALLOW"}]}), "firewall.rules[0].action"),
        ("firewall rule direction sideways", dict(OLD, firewall={"rules": [{"action": "DROP", "direction": "fwd"}]}),
         "firewall.rules[0].direction"),
        ("firewall rule proto unknown", dict(OLD, firewall={"rules": [{"action": "DROP", "proto": "bogus"}]}),
         "firewall.rules[0].proto"),
        ("firewall rule port 70000", dict(OLD, firewall={"rules": [{"action": "DROP", "proto": "tcp", "dport": "70000"}]}),
         "firewall.rules[0].dport"),
        ("firewall rule port without proto", dict(OLD, firewall={"rules": [{"action": "DROP", "dport": "22"}]}),
         "firewall.rules[0].dport"),
        ("firewall rule source garbage", dict(OLD, firewall={"rules": [{"action": "DROP", "source": "10.0.0.0/99"}]}),
         "firewall.rules[0].source"),
        ("firewall rule unknown key", dict(OLD, firewall={"rules": [{"action": "DROP", "port": 22}]}), "firewall.rules"),
        ("firewall rule IP set unknown", dict(OLD, firewall={"rules": [{"action": "DROP", "source": "+nosuch"}]}),
         "firewall.rules[0].source"),
        ("firewall ipfilter on a DHCP server", dict(OLD, firewall={"ipfilter": True}), "firewall.ipfilter"),
        ("firewall ipfilter with a firewalled extra NIC",
         dict(NEW, ipconfig=[{"ip": "203.0.113.9/24"}], firewall={"ipfilter": True},
              networks=[{"bridge": "vmbr1", "firewall": True}]), "firewall.ipfilter"),
        ("firewall ipfilter on a new server without ipconfig", dict(NEW, firewall={"ipfilter": True}),
         "firewall.ipfilter"),
        ("nameservers with ;", dict(NEW, nameservers=["1.1.1.1;rm"]), "nameservers"),
        ("nameservers not an address", dict(NEW, nameservers=["dns.example"]), "nameservers"),
        ("description of 8193 characters", dict(NEW, description="x" * 8193), "description"),
        ("ipconfig 33 entries", dict(NEW, ipconfig=[{"ip": "dhcp"}] * 33), "ipconfig"),
    ],
    "jotun_server_info": [
        ("vmid 99", {"vmid": [99]}, "vmid"),
        ("vmid -1", {"vmid": [-1]}, "vmid"),
        ("vmid 1000000000", {"vmid": [1000000000]}, "vmid"),
        ("vmid not a number", {"vmid": ["abc"]}, "vmid"),
        ("name empty", {"name": [""]}, "name"),
        ("name with comma", {"name": ["a,b"]}, "name"),
        ("node unknown", {"node": ["nosuch"]}, "node"),
        ("node empty", {"node": [""]}, "node"),
        ("pool unknown", {"pool": ["nosuch"]}, "pool"),
        ("pool with comma", {"pool": ["a,b"]}, "pool"),
        ("tags with comma", {"tags": ["a,b"]}, "tags"),
        ("tags empty", {"tags": [""]}, "tags"),
        ("details not a bool", {"details": "perhaps"}, "details"),
    ],
    "jotun_disk_resize": [
        ("vmid 99", {"vmid": 99, "size": "3G"}, "vmid"),
        ("vmid 1000000000", {"vmid": 1000000000, "size": "3G"}, "vmid"),
        ("vmid not a number", {"vmid": "abc", "size": "3G"}, "vmid"),
        ("vmid unknown", {"vmid": 4242, "size": "3G"}, "vmid"),
        ("vmid and name disagree", {"vmid": SERVER_VMID, "name": "other1", "size": "3G"}, "name"),
        ("name unknown", {"name": "nosuch", "size": "3G"}, "name"),
        ("name empty", {"name": "", "size": "3G"}, "name"),
        ("name of a template", {"name": TEMPLATE, "size": "3G"}, "name"),
        ("vmid of a template", {"vmid": 9000, "size": "3G"}, "vmid"),
        ("size below the disk", dict(OLD, size="1G"), "size"),
        ("size bare number", dict(OLD, size="20"), "size"),
        ("size garbage", dict(OLD, size="big"), "size"),
        ("size negative", dict(OLD, size="-1G"), "size"),
        ("size zero", dict(OLD, size="0"), "size"),
        ("increase negative", dict(OLD, increase="-1G"), "increase"),
        ("increase garbage", dict(OLD, increase="lots"), "increase"),
        ("increase zero", dict(OLD, increase="0"), "increase"),
        ("size and increase", dict(OLD, size="3G", increase="1G"), "increase"),
        ("neither size nor increase", dict(OLD), "size"),
        ("disk unknown", dict(OLD, disk="scsi9", size="3G"), "disk"),
        ("disk with comma", dict(OLD, disk="scsi0,size=9G", size="3G"), "disk"),
        ("disk empty", dict(OLD, disk="", size="3G"), "disk"),
        ("disk not a disk", dict(OLD, disk="net0", size="3G"), "disk"),
    ],
    "jotun_backup": [
        ("no server", {"storage": "local"}, "vmid"),
        ("vmid 99", {"vmid": 99, "storage": "local"}, "vmid"),
        ("vmid 1000000000", {"vmid": 1000000000, "storage": "local"}, "vmid"),
        ("vmid unknown", {"vmid": 4242, "storage": "local"}, "vmid"),
        ("name unknown", {"name": "nosuch", "storage": "local"}, "name"),
        ("name of a template", {"name": TEMPLATE, "storage": "local"}, "name"),
        ("name with comma", {"name": "a,b", "storage": "local"}, "name"),
        ("storage missing", dict(OLD), "storage"),
        ("storage unknown", dict(OLD, storage="nosuch"), "storage"),
        ("storage without backup content", dict(OLD, storage="local-lvm"), "storage"),
        ("storage with comma", dict(OLD, storage="local,x"), "storage"),
        ("keep_last -1", dict(OLD, storage="local", keep_last=-1), "keep_last"),
        ("keep_daily -5", dict(OLD, storage="local", keep_daily=-5), "keep_daily"),
        ("max_age garbage", dict(OLD, storage="local", max_age="soon"), "max_age"),
        ("max_age negative", dict(OLD, storage="local", max_age="-1d"), "max_age"),
        ("volid garbage (absent)", {"state": "absent", "volid": "garbage"}, "volid"),
        ("volid empty (absent)", {"state": "absent", "volid": ""}, "volid"),
        ("volid unknown storage", {"state": "present", "volid": "nosuch:backup/vzdump-qemu-150-2026_01_01-00_00_00.vma.zst",
                                   "notes": "x"}, "volid"),
        ("volid unknown (restore)", {"state": "restored", "volid": "local:backup/vzdump-qemu-150-2026_01_01-00_00_00.vma.zst"},
         "volid"),
        ("restore vmid 99", {"state": "restored", "volid": "ARCHIVE", "vmid": 99}, "vmid"),
        ("restore node unknown", {"state": "restored", "volid": "ARCHIVE", "vmid": 500, "node": "nosuch"}, "node"),
        ("restore storage unknown", {"state": "restored", "volid": "ARCHIVE", "vmid": 500, "storage": "nosuch"}, "storage"),
        ("restore storage without images", {"state": "restored", "volid": "ARCHIVE", "vmid": 500, "storage": "local"},
         "storage"),
        ("vmid and name", {"vmid": SERVER_VMID, "name": SERVER, "storage": "local"}, "name"),
        ("notes of 1025 characters", dict(OLD, storage="local", notes="x" * 1025), "notes"),
        ("notes of 513 lines", dict(OLD, storage="local", notes="x\n" * 513), "notes"),
    ],
    "jotun_backup_info": [
        ("vmid 99", {"vmid": 99}, "vmid"),
        ("vmid -1", {"vmid": -1}, "vmid"),
        ("vmid 1000000000", {"vmid": 1000000000}, "vmid"),
        ("vmid not a number", {"vmid": "abc"}, "vmid"),
        ("name unknown", {"name": "nosuch"}, "name"),
        ("name empty", {"name": ""}, "name"),
        ("name with comma", {"name": "a,b"}, "name"),
        ("name and vmid disagree", {"name": SERVER, "vmid": 151}, "name"),
        ("node unknown", {"node": "nosuch"}, "node"),
        ("node empty", {"node": ""}, "node"),
        ("storage unknown", {"storage": "nosuch"}, "storage"),
        ("storage empty", {"storage": ""}, "storage"),
        ("storage without backup content", {"storage": "local-lvm"}, "storage"),
    ],
    "jotun_task": [
        ("nothing to look at", {}, "upid"),
        ("upid empty", {"upid": ""}, "upid"),
        ("upid garbage", {"upid": "garbage"}, "upid"),
        ("upid of an unknown node", {"upid": BAD_UPID}, "upid"),
        ("upids [null]", {"upids": [None]}, "upids"),
        ("upids ['']", {"upids": [""]}, "upids"),
        ("upids garbage", {"upids": ["x"]}, "upids"),
        ("upids number", {"upids": [123]}, "upids"),
        ("upids dict without upid", {"upids": [{"id": 1}]}, "upids"),
        ("upids dict with bad upid", {"upids": [{"upid": 5}]}, "upids"),
        ("resize a string", {"resize": "abc"}, "resize"),
        ("resize vmid not a number", {"resize": {"vmid": "abc", "disk": "scsi0", "size": "3G"}}, "resize"),
        ("resize vmid 99", {"resize": {"vmid": 99, "disk": "scsi0", "size": "3G"}}, "resize"),
        ("resize no server", {"resize": {"disk": "scsi0", "size": "3G"}}, "resize"),
        ("resize no disk", {"resize": {"vmid": SERVER_VMID, "size": "3G"}}, "resize"),
        ("resize size bare number", {"resize": {"vmid": SERVER_VMID, "disk": "scsi0", "size": "20"}}, "resize"),
        ("resize size garbage", {"resize": {"vmid": SERVER_VMID, "disk": "scsi0", "size": "big"}}, "resize"),
        ("resize [null]", {"resize": [None]}, "resize"),
    ],
    "jotun_node_info": [
        ("node unknown", {"node": ["nosuch"]}, "node"),
        ("node empty", {"node": [""]}, "node"),
        ("node with comma", {"node": ["pve1,pve2"]}, "node"),
        ("one node unknown", {"node": ["pve1", "nosuch"]}, "node"),
        ("node with ;", {"node": ["pve1;x"]}, "node"),
        ("node with newline", {"node": ["pve1\n"]}, "node"),
    ],
}

# module arguments a connection case is added to (so that only the connection option is wrong)
BASE = {
    "jotun_server": {"name": SERVER},
    "jotun_server_info": {},
    "jotun_disk_resize": {"name": SERVER, "size": "3G"},
    "jotun_backup": {"name": SERVER, "storage": "local"},
    "jotun_backup_info": {},
    "jotun_task": {"upids": []},
    "jotun_node_info": {},
}


def cases(module):
    """Every (label, args, option) tried on *module*."""
    shared = [(label, dict(BASE[module], **args), option) for label, args, option in CONNECTION]
    if module in WAITING:
        shared += [(label, dict(BASE[module], **args), option) for label, args, option in WAIT]
    return OWN[module] + shared


def render(rows=None):
    """docs/validation.md: the summary table (goal rows unless *rows* {module: (tried, refused, wrong)}) and the
    inputs tried."""
    lines = [
        "# Bad input: what the modules refuse",
        "",
        "<!-- generated by `python tests/integration/bad_inputs.py > docs/validation.md`; "
        "tests/integration/test_bad_inputs.py keeps it true -->",
        "",
        "Every module checks its whole request before its first write: types and ranges, values Proxmox VE would",
        "splice into a property string, the request against the current state, and the things it names in the",
        "cluster. `tests/integration/test_bad_inputs.py` runs each input below through `ansible-playbook` against the",
        "simulator and asserts: the task failed, its message names the option, no traceback, `changed: false`, and",
        "the simulator's request log holds no write.",
        "",
        "| module | tried | refused before any write | wrong successes |",
        "|---|---:|---:|---:|",
    ]
    for module in MODULES:
        tried = len(cases(module))
        tried, refused, wrong = (rows or {}).get(module, (tried, tried, 0))
        lines.append("| %s | %d | %d (%d %%) | %d |" % (module, tried, refused, 100 * refused // max(tried, 1), wrong))
    lines += ["", "Every module also gets the %d connection inputs (and, where it waits, the %d wait inputs) listed "
              "at the end." % (len(CONNECTION), len(WAIT)), ""]
    for module in MODULES:
        lines += ["## %s" % module, "", "| input | option named |", "|---|---|"]
        lines += ["| %s | `%s` |" % (label, option) for label, _args, option in OWN[module]]
        lines.append("")
    lines += ["## connection options (every module)", "", "| input | option named |", "|---|---|"]
    lines += ["| %s | `%s` |" % (label, option) for label, _args, option in CONNECTION + WAIT]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
