# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 14, rebuild part, on 7.4 and 9.1: state=rebuilt keeps everything but the disks' contents. The config before
and after may differ only in the keys server/carry.py documents (DOCUMENTED_DIFFERENCES); the boot disk comes back
at its old size (or a larger disk_size), the extra disk empty at its size, protection, pool and power state too."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.carry import DOCUMENTED_DIFFERENCES
from test_backup import check_log

M = "jotunheim.proxmox.jotun_server"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm8J+example+key/a= ops@example"
SECRET = "Rebuild-s3cret"
RELEASES = pytest.mark.parametrize("sim", ["7.4", "9.1"], indirect=True)


def run_one(run_playbook, sim, options, check=False):
    mark = sim.mark()
    run = run_playbook([{"name": "s", M: options}], check=check)
    return run, run.task("s"), sim.writes(mark)


def customer_server(run_playbook, sim, name):
    """A server as a customer has it: 40G boot disk, a 5G data disk with its own options, pool, tags, description,
    a tuned NIC, cloud-init, protection, onboot, running."""
    run, built, unused = run_one(run_playbook, sim, {
        "name": name, "template": "debian-12", "state": "started", "cores": 3, "memory": 3072, "disk_size": "40G",
        "pool": "customers", "bridge": "vmbr1", "vlan": 30, "rate_limit": 25, "firewall": True, "onboot": True,
        "tags": ["customer-7", "web"], "description": "customer 7\nplan L", "ciuser": "ops", "cipassword": SECRET,
        "sshkeys": [KEY], "ipconfig": [{"ip": "198.51.100.7/24", "gw": "198.51.100.1"}],
        "nameservers": ["9.9.9.9"], "searchdomain": "example.org",
        # CPU and memory details (issue 18): carried like every config key the rebuild does not list
        "cpu_type": "host", "sockets": 2, "numa": True, "balloon": 1024, "cpu_units": 300})
    assert run.ok, run
    vmid, node = built["vmid"], built["node"]
    sim.api("PUT", "/nodes/%s/qemu/%s/config" % (node, vmid), scsi1="local-lvm:5,backup=0,iops_rd=300",
            protection=1, cpulimit=2)
    return vmid, node


def comparable(config):
    return dict((k, v) for k, v in config.items() if k not in DOCUMENTED_DIFFERENCES)


@RELEASES
def test_rebuild_keeps_everything_but_the_disk_contents(sim, run_playbook):
    sim.reset()
    vmid, node = customer_server(run_playbook, sim, "keep01")
    before = sim.guest(vmid)
    volumes = dict((v["volid"], v) for v in sim.api("GET", "/nodes/%s/storage/local-lvm/content" % node))
    assert before["_status"] == "running" and before["_pool"] == "customers"

    run, result, writes = run_one(run_playbook, sim, {"name": "keep01", "template": "debian-12", "state": "rebuilt",
                                                      "cipassword": SECRET})
    assert run.ok, run
    assert result["changed"] is True and result["vmid"] == vmid and result["node"] == node and result["step"] == "done"
    # the server's own destroy (the other DELETE is the name reservation's: docs/server.md "One server per name")
    deletes = [w for w in writes if w["method"] == "DELETE" and w["path"].endswith("/qemu/%d" % vmid)]
    assert len(deletes) == 1 and deletes[0]["params"].get("purge") in (0, "0", False)   # stays in backup jobs
    assert any(w["path"].endswith("/clone") for w in writes)
    after = sim.guest(vmid)
    assert comparable(after) == comparable(before), (comparable(before), comparable(after))
    assert (after["cpu"], int(after["sockets"]), int(after["numa"]), int(after["balloon"]), int(after["cpuunits"]),
            float(after["cpulimit"])) == ("host", 2, 1, 1024, 300, 2.0)
    assert result.get("warnings", []) == [], result.get("warnings")
    assert SECRET not in run.stdout and SECRET not in str(result)
    # fresh disks: the volumes were freed and allocated again (same names, new contents), the data disk empty
    assert [w for w in writes if w["path"].endswith("/resize")], "the boot disk was not grown back to 40G"
    new_volumes = dict((v["volid"], v) for v in sim.api("GET", "/nodes/%s/storage/local-lvm/content" % node))
    data = after["scsi1"].split(",")[0]
    assert new_volumes[data]["size"] == 5 * 1024 ** 3 and data in volumes

    # the rebuilt server is converged: present changes nothing, sends nothing
    run, again, writes = run_one(run_playbook, sim, {"name": "keep01", "template": "debian-12", "state": "started"})
    assert run.ok and again["changed"] is False and writes == [], writes


@RELEASES
def test_rebuild_grows_to_a_larger_disk_size_never_smaller_and_names_what_it_cannot_carry(sim, run_playbook):
    sim.reset()
    vmid, node = customer_server(run_playbook, sim, "keep02")
    run, result, writes = run_one(run_playbook, sim, {"name": "keep02", "template": "debian-12", "state": "rebuilt",
                                                      "disk_size": "20G"})
    assert run.ok, run
    assert sim.guest(vmid)["scsi0"].endswith("size=40G")
    warnings = result.get("warnings") or []
    assert any(w.startswith("disk_size: 20G is smaller than the old boot disk (40G)") for w in warnings), warnings
    assert any(w.startswith("cipassword:") for w in warnings), warnings          # not given: cannot be carried
    assert all(SECRET not in w for w in warnings)
    run, result, writes = run_one(run_playbook, sim, {"name": "keep02", "template": "debian-12", "state": "rebuilt",
                                                      "disk_size": "50G", "cipassword": SECRET})
    assert run.ok, run
    after = sim.guest(vmid)
    assert after["scsi0"].endswith("size=50G") and after["protection"] in (1, "1")
    assert not [w for w in result.get("warnings") or [] if w.startswith(("disk_size", "cipassword"))], result


def test_password_kept_by_on_create_is_warned_about(sim, run_playbook):
    sim.reset()
    run, built, unused = run_one(run_playbook, sim, {"name": "pw01", "template": "debian-12", "cipassword": SECRET})
    assert run.ok and not built.get("warnings"), built
    run, result, writes = run_one(run_playbook, sim, {"name": "pw01", "cipassword": "another-" + SECRET})
    assert run.ok and result["changed"] is False and writes == []
    assert [w for w in result["warnings"] if w.startswith("cipassword:") and "password_update: always" in w], result
    assert SECRET not in str(result) and SECRET not in run.stdout
    run, result, writes = run_one(run_playbook, sim, {"name": "pw01", "cipassword": "another-" + SECRET,
                                                      "password_update": "always"})
    assert run.ok and result["changed"] is True and not result.get("warnings"), result
    # a template whose disk (3.5G) is larger than the old one (2G): the rebuild keeps the template's size
    run, result, writes = run_one(run_playbook, sim, {"name": "pw01", "template": "ubuntu-24.04", "state": "rebuilt",
                                                      "cipassword": SECRET})
    assert run.ok and result["vmid"] == built["vmid"], run
    assert sim.guest(built["vmid"])["scsi0"].endswith("size=3584M") and not [
        w for w in writes if w["path"].endswith("/resize")], writes


@RELEASES
def test_zz_request_log_is_valid(sim):
    check_log(sim)


def test_zz_request_log_is_valid_default(sim):
    check_log(sim)
