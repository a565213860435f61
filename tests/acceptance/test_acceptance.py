# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's promises on a real Proxmox VE cluster, through real ansible-playbook (docs/acceptance.md).

One server's life, in order: build it while parallel runs find the clone in flight, an unchanged run, resize by
absolute size twice, power, a backup restored to a second vmid (with PROXMOX_ACCEPTANCE_BACKUP_STORAGE), destroy.
Every guest has a vmid of PROXMOX_ACCEPTANCE_VMIDS and a name with PROXMOX_ACCEPTANCE_PREFIX; the session's
finaliser (conftest.cleanup) removes them whatever happens here.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

import pytest

from acceptance_support import GIB, MIB, boot_disk_size

SERVER = "jotunheim.proxmox.jotun_server"
RESIZE = "jotunheim.proxmox.jotun_disk_resize"
BACKUP = "jotunheim.proxmox.jotun_backup"


def one(acceptance, module, options):
    """Run one module task; (PlaybookRun, its result)."""
    options = dict(options, wait_timeout=acceptance.config.wait_timeout)
    run = acceptance.run([{"name": "t", module: options}])
    return run, run.task("t")


def built(acceptance):
    if not acceptance.server.get("built"):
        pytest.skip("the server was not built (see the first failure); the finaliser removes what there is")
    return acceptance.server


def server_options(acceptance, **extra):
    server = acceptance.server
    options = {"name": server["name"], "vmid": server["vmid"]}
    options.update(extra)
    return options


def test_build_once_while_parallel_runs_find_the_clone(acceptance):
    """A build started without waiting, then two runs in parallel while its clone is in flight: one server, built
    once; a further run changes nothing."""
    cfg, cluster = acceptance.config, acceptance.cluster
    unused_node, unused_vmid, template = cluster.template()
    disk, size = boot_disk_size(template)
    name, vmid = acceptance.name("srv"), acceptance.vmids[0]
    acceptance.server.update(name=name, disk=disk, template_size=size)
    options = {"name": name, "vmid": vmid, "template": cfg.template, "cores": 2, "memory": 1024,
               "disk_size": "%dM" % ((size + GIB) // MIB), "ciuser": "acceptance", "state": "present"}
    if cfg.node:
        options["node"] = cfg.node
    if cfg.storage:
        options["storage"] = cfg.storage

    run, first = one(acceptance, SERVER, dict(options, wait=False))
    assert run.ok, run
    assert first["changed"] is True and first["vmid"] == vmid and first["step"] == "clone", first
    acceptance.server["vmid"] = vmid

    results = {}

    def parallel(key):
        results[key] = one(acceptance, SERVER, options)

    threads = [threading.Thread(target=parallel, args=(key,)) for key in ("third", "fourth")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for key in ("third", "fourth"):
        run, result = results[key]
        assert run.ok, run
        assert result["vmid"] == vmid and result["step"] == "done", result
    assert cluster.named(name) == [vmid]
    acceptance.server["node"] = results["third"][1]["node"]

    run, again = one(acceptance, SERVER, options)
    assert run.ok, run
    assert again["changed"] is False and again["vmid"] == vmid, again.get("diff")

    config = cluster.guest_config(acceptance.server["node"], vmid)
    assert config["name"] == name and int(config["cores"]) == 2 and int(config["memory"]) == 1024
    assert config["ciuser"] == "acceptance"
    assert boot_disk_size(config) == (disk, size + GIB)
    acceptance.server["built"] = True


def test_resize_by_absolute_size_grows_once(acceptance):
    server = built(acceptance)
    target = server["template_size"] + 2 * GIB
    options = {"vmid": server["vmid"], "disk": server["disk"], "size": "%dM" % (target // MIB)}
    run, grown = one(acceptance, RESIZE, options)
    assert run.ok, run
    assert grown["changed"] is True and grown["size_after"] == target and grown["status"] == "done", grown
    run, again = one(acceptance, RESIZE, options)
    assert run.ok, run
    assert again["changed"] is False and again["size_before"] == target, again


def test_power_start_stop_and_shutdown_of_a_stopped_server(acceptance):
    built(acceptance)
    run, started = one(acceptance, SERVER, server_options(acceptance, state="started"))
    assert run.ok, run
    assert started["changed"] is True and started["status"] == "running", started
    # a guest whose OS ignores ACPI (a template without one booted yet) is forced off after the timeout
    run, stopped = one(acceptance, SERVER, server_options(acceptance, state="stopped", shutdown_timeout=60,
                                                          force_stop=True))
    assert run.ok, run
    assert stopped["changed"] is True and stopped["status"] == "stopped", stopped
    run, again = one(acceptance, SERVER, server_options(acceptance, state="stopped"))
    assert run.ok, run
    assert again["changed"] is False and again["status"] == "stopped", again


def test_backup_and_restore_to_a_new_vmid(acceptance):
    server = built(acceptance)
    cfg = acceptance.config
    if not cfg.backup_storage:
        pytest.skip("set PROXMOX_ACCEPTANCE_BACKUP_STORAGE (a storage with content 'backup') for this scenario")
    run, backup = one(acceptance, BACKUP, {"vmid": server["vmid"], "storage": cfg.backup_storage, "mode": "snapshot"})
    assert run.ok, run
    acceptance.volids[backup["volid"]] = backup["node"]
    assert backup["changed"] is True and backup["vmid"] == server["vmid"], backup
    copy = acceptance.vmids[1]
    restore = {"state": "restored", "volid": backup["volid"], "vmid": copy}
    if cfg.storage:
        restore["storage"] = cfg.storage
    run, restored = one(acceptance, BACKUP, restore)
    assert run.ok, run
    assert restored["changed"] is True and restored["vmid"] == copy, restored
    assert acceptance.cluster.named(server["name"]) == sorted([server["vmid"], copy])   # the archive's name
    run, gone = one(acceptance, SERVER, {"name": server["name"], "vmid": copy, "state": "absent", "force_stop": True})
    assert run.ok, run
    assert gone["changed"] is True, gone
    run, deleted = one(acceptance, BACKUP, {"state": "absent", "volid": backup["volid"]})
    assert run.ok, run
    assert deleted["changed"] is True, deleted
    del acceptance.volids[backup["volid"]]


def test_destroy(acceptance):
    server = built(acceptance)
    run, gone = one(acceptance, SERVER, server_options(acceptance, state="absent", force_stop=True))
    assert run.ok, run
    assert gone["changed"] is True, gone
    run, again = one(acceptance, SERVER, server_options(acceptance, state="absent"))
    assert run.ok, run
    assert again["changed"] is False, again
    assert acceptance.cluster.named(server["name"]) == []
