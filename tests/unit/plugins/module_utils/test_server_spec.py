# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for jotun_server's option table, validation, comparison and build helpers (no server)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils import qemu_config as qc
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server import spec
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.server.build import (
    candidate_vmid, choose_node, resolve_template)

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+x/y= ops@example"
CONFIG = {
    "name": "web01", "cores": 2, "sockets": 1, "memory": "4096", "onboot": 1, "agent": "enabled=1,fstrim_cloned_disks=1",
    "tags": "web;customer-42", "net0": "virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,firewall=1,tag=20",
    "ipconfig0": "ip=203.0.113.10/24,gw=203.0.113.1", "sshkeys": qc.encode_sshkeys([KEY]), "ciuser": "ops",
    "nameserver": "1.1.1.1 9.9.9.9", "cipassword": "**********", "scsi0": "local-lvm:vm-101-disk-0,size=40G",
    "ide2": "local-lvm:vm-101-cloudinit,media=cdrom", "digest": "abc",
}


def params(**kwargs):
    base = dict((name, None) for name in spec.argument_spec())
    base.update({"name": "web01", "state": "present", "full_clone": True, "password_update": "on_create",
                 "apply_pending": "none", "shutdown_timeout": 120, "force_stop": False, "purge": True})
    base.update(kwargs)
    return base


def plan_for(**kwargs):
    p = params(**kwargs)
    return spec.plan_config(CONFIG, p, spec.validate(p))


def test_converged_request_plans_nothing():
    plan = plan_for(cores=2, memory=4096, onboot=True, agent=True, tags=["customer-42", "web"], bridge="vmbr0",
                    vlan=20, firewall=True, mac="bc-24-11-2a-3b-4c", ipconfig=[{"ip": "203.0.113.10/24", "gw": "203.0.113.1"}],
                    sshkeys=[KEY + "  "], ciuser="ops", nameservers=["1.1.1.1", "9.9.9.9"], cipassword="secret")
    assert not plan, (plan.updates, plan.delete)


def test_only_differences_are_sent_with_digest():
    plan = plan_for(cores=4, memory=4096, tags=["web"])
    assert plan.api_params("abc") == {"cores": "4", "tags": "web", "digest": "abc"}
    assert plan.before == {"cores": 2, "tags": ["customer-42", "web"]}
    assert plan.after == {"cores": 4, "tags": ["web"]}
    assert not plan.cloudinit


def test_net_change_keeps_the_mac():
    plan = plan_for(vlan=30)
    assert plan.updates == {"net0": "virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,firewall=1,tag=30"}
    assert plan_for(vlan=0).updates["net0"] == "virtio=BC:24:11:2A:3B:4C,bridge=vmbr0,firewall=1"
    assert plan_for(rate_limit=12.5).updates["net0"].endswith("rate=12.5,tag=20")


def test_cloudinit_changes_flag_the_drive():
    plan = plan_for(ipconfig=["dhcp"], sshkeys=[])
    assert plan.updates == {"ipconfig0": "ip=dhcp"}
    assert plan.delete == ["sshkeys"]
    assert plan.cloudinit


def test_extra_ipconfig_entries_are_removed():
    config = dict(CONFIG, ipconfig1="ip=dhcp")
    p = params(ipconfig=[{"ip": "203.0.113.10/24", "gw": "203.0.113.1"}])
    plan = spec.plan_config(config, p, spec.validate(p))
    assert plan.delete == ["ipconfig1"] and not plan.updates


def test_password_update_modes():
    assert not plan_for(cipassword="x")
    assert plan_for(cipassword="x", password_update="always").updates == {"cipassword": "x"}
    p = params(cipassword="x")
    plan = spec.plan_config(dict(CONFIG, cipassword=None), p, spec.validate(p))
    assert plan.updates == {"cipassword": "x"}
    assert "x" not in str(plan.before) + str(plan.after)
    created = spec.plan_config(CONFIG, p, spec.validate(p), creating=True)
    assert created.updates == {"cipassword": "x"}


def test_absent_keys_compare_with_proxmox_defaults():
    config = {"name": "web01"}
    assert not spec.plan_config(config, params(onboot=False, agent=False, cores=1), spec.validate(params()))
    assert spec.plan_config(config, params(onboot=True), spec.validate(params())).updates == {"onboot": 1}


def test_apply_plan_masks_password():
    p = params(cipassword="secret", password_update="always", cores=8)
    plan = spec.plan_config(CONFIG, p, spec.validate(p))
    predicted = spec.apply_plan(CONFIG, plan)
    assert predicted["cores"] == "8" and predicted["cipassword"] == qc.CIPASSWORD_MASK


@pytest.mark.parametrize("kwargs,option", [
    ({"memory": 0}, "memory"),
    ({"cores": 0}, "cores"),
    ({"memory": 1024, "balloon": 2048}, "balloon"),
    ({"vlan": 5000}, "vlan"),
    ({"mac": "nope"}, "mac"),
    ({"ipconfig": [{"ip": "10.0.0.1"}]}, "ipconfig"),
    ({"disk_size": "forty"}, "disk_size"),
    ({"name": "bad_name!"}, "name"),
    ({"tags": ["+x"]}, "tags"),
])
def test_validate_names_the_option(kwargs, option):
    with pytest.raises(InputError) as err:
        spec.validate(params(**kwargs))
    assert err.value.option == option
    assert str(err.value).startswith(option)


def test_argument_spec_covers_the_table():
    argspec = spec.argument_spec()
    for option in spec.CONFIG_OPTIONS:
        assert option.name in argspec
    assert argspec["cipassword"]["no_log"] is True
    assert argspec["state"]["choices"] == spec.STATES


GUESTS = [
    {"vmid": 9000, "name": "debian-12", "node": "pve1", "template": 1},
    {"vmid": 9002, "name": "rocky-9", "node": "pve2", "template": 1},
    {"vmid": 101, "name": "web01", "node": "pve1", "template": 0},
]


def test_resolve_template_by_name_and_vmid():
    assert resolve_template(GUESTS, "rocky-9", "x")["node"] == "pve2"
    assert resolve_template(GUESTS, "9000", "x")["name"] == "debian-12"


@pytest.mark.parametrize("template,fragment", [
    ("centos", "no template named 'centos'"), ("101", "not a template"), ("4242", "no guest with vmid"), (None, "give the template"),
])
def test_resolve_template_errors(template, fragment):
    with pytest.raises(InputError) as err:
        resolve_template(GUESTS, template, "web09")
    assert err.value.option == "template" and fragment in str(err.value)


def test_choose_node_by_free_memory():
    nodes = [{"node": "pve1", "status": "online", "mem": 6, "maxmem": 10},
             {"node": "pve2", "status": "online", "mem": 2, "maxmem": 10},
             {"node": "pve3", "status": "offline", "mem": 0, "maxmem": 100}]
    assert choose_node(nodes) == "pve2"
    assert choose_node(nodes, "pve1") == "pve1"
    with pytest.raises(InputError) as err:
        choose_node(nodes, "pve3")
    assert err.value.option == "node"


def test_password_kept_only_when_a_password_exists_and_on_create():
    assert spec.password_kept(CONFIG, params(cipassword="x"), creating=False)
    assert not spec.password_kept(CONFIG, params(cipassword="x"), creating=True)
    assert not spec.password_kept(CONFIG, params(cipassword="x", password_update="always"), creating=False)
    assert not spec.password_kept(dict(CONFIG, cipassword=None), params(cipassword="x"), creating=False)
    assert not spec.password_kept(CONFIG, params(), creating=False)


def test_candidate_vmid_spreads_after_a_collision():
    import random
    rng = random.Random(1)
    assert candidate_vmid(100, 0, 0, rng) == 100
    picks = set(candidate_vmid(100, 100, 3, rng) for _attempt in range(50))
    assert min(picks) >= 101 and max(picks) <= 107 and len(picks) > 1


@pytest.mark.parametrize("bridge", ["", "vmbr0,tag=5", "vmbr 0", "br=1", "vmbr0;x", "averyveryverylongbridge", "\nvmbr0"])
def test_bad_bridge_refused_naming_the_option(bridge):
    with pytest.raises(InputError) as err:
        spec.validate({"name": "web1", "bridge": bridge})
    assert err.value.option == "bridge"


def test_plain_bridge_names_pass():
    for bridge in ("vmbr0", "vmbr1", "br-int.20", "ovs_br0"):
        spec.validate({"name": "web1", "bridge": bridge})


# --- CPU and memory details (issue 18) ------------------------------------------------------------------------------

def test_cpu_details_planned_and_converged():
    plan = plan_for(cpu_type="host", numa=True, cpu_limit=1.5, cpu_units=200, balloon=1024, sockets=2)
    assert plan.updates == {"cpu": "host", "numa": 1, "cpulimit": "1.5", "cpuunits": "200", "balloon": "1024",
                            "sockets": "2"}
    assert plan.before["cpu"] == "kvm64" and plan.after["cpu"] == "host"
    config = dict(CONFIG, cpu="host", numa=1, cpulimit="1.5", cpuunits=200, balloon=1024, sockets=2)
    p = params(cpu_type="host", numa=True, cpu_limit=1.5, cpu_units=200, balloon=1024, sockets=2)
    assert not spec.plan_config(config, p, spec.validate(p))
    # absent keys: Proxmox's defaults (kvm64, numa off, no limit)
    assert not plan_for(cpu_type="kvm64", numa=False, cpu_limit=0)


def test_cpu_type_keeps_the_other_cpu_properties():
    config = dict(CONFIG, cpu="cputype=kvm64,flags=+aes;+pcid")
    p = params(cpu_type="x86-64-v2-AES")
    plan = spec.plan_config(config, p, spec.validate(p))
    assert plan.updates == {"cpu": "x86-64-v2-AES,flags=+aes;+pcid"}
    p = params(cpu_type="kvm64")
    assert not spec.plan_config(config, p, spec.validate(p))


@pytest.mark.parametrize("kwargs", [
    {"cpu_type": "pentium9"}, {"cpu_type": "host,flags=+aes"}, {"cpu_type": "custom-"},
    {"cpu_limit": 129.0}, {"cpu_limit": -1.0}, {"cpu_units": 0}, {"cpu_units": 262145}, {"balloon": -1},
])
def test_cpu_details_refused_naming_the_option(kwargs):
    option = list(kwargs)[0]
    with pytest.raises(InputError) as err:
        spec.validate(params(**kwargs))
    assert err.value.option == option and str(err.value).startswith(option)


def test_custom_cpu_models_pass():
    spec.validate(params(cpu_type="custom-avx512"))


@pytest.mark.parametrize("release,kwargs,ok", [
    ((7, 4), {"cpu_type": "x86-64-v2-AES"}, False),
    ((8, 0), {"cpu_type": "x86-64-v2-AES"}, True),
    ((7, 4), {"cpu_type": "host"}, True),
    ((7, 4), {"cpu_units": 1}, False),
    ((7, 4), {"cpu_units": 10000}, True),
    ((7, 4), {"cpu_units": 262144}, False),
    ((9, 1), {"cpu_units": 10001}, False),
    ((9, 1), {"cpu_units": 1}, True),
])
def test_release_dependent_cpu_checks(release, kwargs, ok):
    if ok:
        spec.validate_release(params(**kwargs), release)
        return
    with pytest.raises(InputError) as err:
        spec.validate_release(params(**kwargs), release)
    assert err.value.option == list(kwargs)[0]
