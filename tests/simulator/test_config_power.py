"""Config writes, power actions and destroy as qemu-server answers them (API2/Qemu.pm update_vm_api, vm_start,
vm_stop, vm_shutdown, destroy_vm; QemuServer.pm vm_start, _do_vm_stop, destroy_vm), per release."""
import time

from simsupport import pve_message

LOCKED = "can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout"
MISSMATCH = "checksum missmatch (file change by other user?)"
MISMATCH = "checksum mismatch (file change by other user?)"


def _clone(sim, newid=150, source=9000, node="pve1"):
    sim.wait(sim.write("POST", "/nodes/%s/qemu/%d/clone" % (node, source), newid=newid, full=1, name="vm%d" % newid))
    return newid


def _since(sim):
    return sim.requests()["next"]


def _logged(sim, since, method, suffix):
    return [r for r in sim.requests(since)["requests"] if r["method"] == method and r["path"].endswith(suffix)]


def _start(sim, vmid, node="pve1"):
    sim.wait(sim.write("POST", "/nodes/%s/qemu/%d/status/start" % (node, vmid)))


# --- config -------------------------------------------------------------------------------------------------------

def _stale_digest(sim):
    vmid = _clone(sim)
    stale = sim.get("/nodes/pve1/qemu/%d/config" % vmid)["digest"]
    sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, description="changed by another user")
    put = sim.call("PUT", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 4, "digest": stale})
    since = _since(sim)
    post = sim.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 4, "digest": stale})
    assert sim.get("/nodes/pve1/qemu/%d/config" % vmid)["cores"] == 2
    assert _logged(sim, since, "POST", "/config")[0]["status"] == 500
    return put, post


def test_stale_digest_wording_74_missmatch(sim7):
    for resp in _stale_digest(sim7):
        assert resp.status_code == 500 and resp.reason == MISSMATCH
        assert resp.json()["data"] is None


def test_stale_digest_wording_80_missmatch_84_mismatch(sim8):
    wanted = MISSMATCH if sim8.release == "8.0" else MISMATCH
    for resp in _stale_digest(sim8):
        assert resp.status_code == 500 and resp.reason == wanted


def test_stale_digest_wording_91_mismatch_no_task(sim):
    for resp in _stale_digest(sim):
        assert resp.status_code == 500 and resp.reason == MISMATCH
    assert not [t for t in sim.state()["tasks"] if t["type"] == "qmconfig"]


def test_post_config_on_locked_guest_is_synchronous(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.fault(kind="task_duration", type="vzdump", seconds=50)
    backup = any_sim.write("POST", "/nodes/pve1/vzdump", vmid=vmid, storage="local")
    any_sim.wait_lock(vmid, "backup")                 # set as the job reaches the guest
    resp = any_sim.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 4})
    assert resp.status_code == 500 and resp.reason == "VM is locked (backup)"
    assert not [t for t in any_sim.state()["tasks"] if t["type"] == "qmconfig"]
    any_sim.wait(backup)


def test_post_config_lock_timeout_74_synchronous(sim7):
    vmid = _clone(sim7)
    sim7.fault(kind="hold_lock", vmid=vmid, seconds=30)
    resp = sim7.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 4})
    assert resp.status_code == 500 and resp.reason == LOCKED % vmid
    assert not [t for t in sim7.state()["tasks"] if t["type"] == "qmconfig"]


def test_post_config_lock_timeout_8x_synchronous(sim8):
    """8.0 and 8.4 still take the config-file lock in the request (stable-bookworm update_vm_api: lock_config around
    fork_worker); the fork-before-locking change is 9.x only."""
    vmid = _clone(sim8)
    sim8.fault(kind="hold_lock", vmid=vmid, seconds=30)
    resp = sim8.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 4})
    assert resp.status_code == 500 and pve_message(resp) == LOCKED % vmid + "\n"
    assert not [t for t in sim8.state()["tasks"] if t["type"] == "qmconfig"]
    assert sim8.get("/nodes/pve1/qemu/%d/config" % vmid)["cores"] == 2


def test_post_config_lock_timeout_91_inside_the_task(sim):
    vmid = _clone(sim)
    sim.fault(kind="hold_lock", vmid=vmid, seconds=30)
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/config" % vmid, cores=4)
    assert sim.wait(upid)["exitstatus"] == LOCKED % vmid
    assert sim.get("/nodes/pve1/qemu/%d/config" % vmid)["cores"] == 2


def test_post_config_91_waits_for_a_short_lock_then_applies(sim):
    vmid = _clone(sim)
    sim.fault(kind="hold_lock", vmid=vmid, seconds=3)
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/config" % vmid, cores=4)
    assert sim.wait(upid)["exitstatus"] == "OK"
    assert sim.get("/nodes/pve1/qemu/%d/config" % vmid)["cores"] == 4


def test_background_delay_null_when_done_in_time(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    resp = any_sim.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 3, "background_delay": 5})
    assert resp.status_code == 200 and resp.json()["data"] is None
    assert any_sim.get("/nodes/pve1/qemu/%d/config" % vmid)["cores"] == 3


def test_background_delay_failed_task_is_a_500(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.fault(kind="task_fail", type="qmconfig", message="storage went away")
    resp = any_sim.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 3, "background_delay": 5})
    assert resp.status_code == 500 and resp.reason == "failed to update VM %d: storage went away" % vmid


def test_background_delay_upid_when_still_running(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.fault(kind="task_duration", type="qmconfig", seconds=20)
    resp = any_sim.call("POST", "/nodes/pve1/qemu/%d/config" % vmid, data={"cores": 3, "background_delay": 2})
    assert resp.status_code == 200 and resp.json()["data"].startswith("UPID:pve1:")


def test_tags_lower_cased_unique_sorted(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, tags="Web;db,web ALPHA;Db")
    assert any_sim.get("/nodes/pve1/qemu/%d/config" % vmid)["tags"] == "alpha;db;web"


def test_balloon_above_memory_refused(any_sim):
    """qemu-server update_vm_api: "balloon value too large (must be smaller than assigned memory)" (500, nothing
    written) for a balloon above the memory the config will have - given, pending or current - on every release."""
    any_sim.reset()
    vmid = _clone(any_sim)          # memory 2048 (debian-12)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    for data in ({"balloon": 4096}, {"memory": 1024, "balloon": 1536}):
        resp = any_sim.call("PUT", path, data=data)
        assert resp.status_code == 500 and resp.reason.startswith("balloon value too large"), (data, resp.reason)
    any_sim.write("PUT", path, balloon=1024)
    resp = any_sim.call("PUT", path, data={"memory": 512})     # below the balloon the config keeps
    assert resp.status_code == 500 and resp.reason.startswith("balloon value too large"), resp.reason
    any_sim.write("PUT", path, memory=4096, balloon=3072)
    config = any_sim.get(path)
    assert (int(config["memory"]), int(config["balloon"])) == (4096, 3072)


def _cipassword(sim, vmid):
    return next(g for g in sim.state()["guests"] if g["vmid"] == vmid)["config"]["cipassword"]


def test_cipassword_crypt_hash_kept(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    hashed = "$6$rounds=5000$saltsalt$" + "x" * 86
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, cipassword=hashed)
    assert _cipassword(any_sim, vmid) == hashed
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, cipassword="plain-secret")
    assert _cipassword(any_sim, vmid).startswith("$5$") and "plain-secret" not in _cipassword(any_sim, vmid)


def _windows_cipassword(sim):
    """A Windows guest's cipassword: hashed up to qemu-server 8.2.3, kept as given from 8.2.4 (fix #4493, f63cc6db)."""
    vmid = _clone(sim)
    sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, ostype="win11")
    sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, cipassword="Plain-Secret1")
    if sim.release in ("7.4", "8.0"):
        assert _cipassword(sim, vmid).startswith("$5$")
    else:
        assert _cipassword(sim, vmid) == "Plain-Secret1"
    assert sim.get("/nodes/pve1/qemu/%d/config" % vmid)["cipassword"] == "**********"


def test_cipassword_windows_not_hashed_from_84(any_sim):
    any_sim.reset()
    _windows_cipassword(any_sim)


def test_cipassword_windows_hashed_on_80_not_on_84(sim8):
    _windows_cipassword(sim8)


# --- power ----------------------------------------------------------------------------------------------------------

def test_stop_and_shutdown_of_stopped_guest_end_ok(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    for action in ("stop", "shutdown"):
        upid = any_sim.write("POST", "/nodes/pve1/qemu/%d/status/%s" % (vmid, action))
        assert upid.split(":")[5] == "qm" + action
        assert any_sim.wait(upid)["exitstatus"] == "OK"
    assert any_sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "stopped"


def test_start_of_template_fails_in_task(any_sim):
    any_sim.reset()
    upid = any_sim.write("POST", "/nodes/pve1/qemu/9000/status/start")
    assert any_sim.wait(upid)["exitstatus"] == "you can't start a vm if it's a template"
    assert any_sim.task_log(upid)[-1] == "TASK ERROR: you can't start a vm if it's a template"


def test_power_lock_wait_inside_task(sim):
    vmid = _clone(sim)
    sim.fault(kind="hold_lock", vmid=vmid, seconds=30)
    resp = sim.call("POST", "/nodes/pve1/qemu/%d/status/start" % vmid)
    assert resp.status_code == 200
    assert sim.wait(resp.json()["data"])["exitstatus"] == LOCKED % vmid
    assert sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "stopped"
    sim.control("DELETE", "/fault")
    sim.fault(kind="hold_lock", vmid=vmid, seconds=3)
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/status/start" % vmid)
    assert sim.wait(upid)["exitstatus"] == "OK"
    assert sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "running"


def test_parallel_starts_one_runs_the_others_fail_in_their_task(any_sim):
    """vm_start runs under the config lock: starts sent together wait for each other, and each worker checks the
    guest once it has the lock, so all but the first end "VM N already running" (qemu-server QemuServer.pm)."""
    any_sim.reset()
    vmid = _clone(any_sim)
    upids = [any_sim.write("POST", "/nodes/pve1/qemu/%d/status/start" % vmid) for unused_start in range(3)]
    statuses = [any_sim.wait(upid)["exitstatus"] for upid in upids]
    assert statuses == ["OK", "VM %d already running" % vmid, "VM %d already running" % vmid]
    upids = [any_sim.write("POST", "/nodes/pve1/qemu/%d/status/stop" % vmid) for unused_stop in range(2)]
    assert [any_sim.wait(upid)["exitstatus"] for upid in upids] == ["OK", "OK"]     # nothing left for the second
    assert any_sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "stopped"


def test_start_under_backup_lock_fails_in_task(sim7):
    vmid = _clone(sim7)
    sim7.fault(kind="task_duration", type="vzdump", seconds=50)
    backup = sim7.write("POST", "/nodes/pve1/vzdump", vmid=vmid, storage="local")
    sim7.wait_lock(vmid, "backup")                 # set as the job reaches the guest
    upid = sim7.write("POST", "/nodes/pve1/qemu/%d/status/start" % vmid)
    assert sim7.wait(upid)["exitstatus"] == "VM is locked (backup)"
    sim7.wait(backup)


def test_shutdown_ignoring_acpi_times_out(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    _start(any_sim, vmid)
    any_sim.fault(kind="ignore_acpi", vmid=vmid)
    upid = any_sim.write("POST", "/nodes/pve1/qemu/%d/status/shutdown" % vmid, timeout=20)
    assert any_sim.wait(upid)["exitstatus"] == "VM quit/powerdown failed - got timeout"
    assert any_sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "running"


def test_shutdown_ignoring_acpi_default_timeout_then_force_stop(sim):
    vmid = _clone(sim)
    _start(sim, vmid)
    sim.fault(kind="ignore_acpi", vmid=vmid, count=2)
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/status/shutdown" % vmid)
    task = next(t for t in sim.state()["tasks"] if t["upid"] == upid)
    assert sim.wait(upid)["exitstatus"] == "VM quit/powerdown failed - got timeout"
    assert task["status"] == "running"
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/status/shutdown" % vmid, timeout=5, forceStop=1)
    assert sim.wait(upid)["exitstatus"] == "WARNINGS: 1"
    assert "WARN: VM still running - terminating now with SIGTERM" in sim.task_log(upid)
    assert sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "stopped"


# --- destroy --------------------------------------------------------------------------------------------------------

def test_destroy_checks_protection_before_running(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, protection=1)
    _start(any_sim, vmid)
    resp = any_sim.call("DELETE", "/nodes/pve1/qemu/%d" % vmid)
    assert resp.status_code == 500 and resp.reason == "can't remove VM %d - protection mode enabled" % vmid
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, protection=0)
    resp = any_sim.call("DELETE", "/nodes/pve1/qemu/%d" % vmid)
    assert resp.status_code == 500 and resp.reason == "VM %d is running - destroy failed" % vmid


def test_destroy_lock_checked_in_task(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.fault(kind="task_duration", type="vzdump", seconds=50)
    backup = any_sim.write("POST", "/nodes/pve1/vzdump", vmid=vmid, storage="local")
    any_sim.wait_lock(vmid, "backup")                 # set as the job reaches the guest
    upid = any_sim.write("DELETE", "/nodes/pve1/qemu/%d" % vmid)
    assert any_sim.wait(upid)["exitstatus"] == "VM is locked (backup)"
    assert any_sim.guest(vmid) is not None
    any_sim.wait(backup)


def test_destroy_lock_wait_in_task(sim):
    vmid = _clone(sim)
    sim.fault(kind="hold_lock", vmid=vmid, seconds=30)
    upid = sim.write("DELETE", "/nodes/pve1/qemu/%d" % vmid)
    assert sim.wait(upid)["exitstatus"] == LOCKED % vmid
    assert sim.guest(vmid)["config"]["name"] == "vm%d" % vmid


def test_destroy_leaves_lock_destroyed_stub_after_disks(sim):
    vmid = _clone(sim)
    sim.fault(kind="task_duration", type="qmdestroy", seconds=40)
    upid = sim.write("DELETE", "/nodes/pve1/qemu/%d" % vmid)
    assert "name" in sim.get("/nodes/pve1/qemu/%d/config" % vmid)          # disks go under the old config
    deadline = time.time() + 5
    while time.time() < deadline:
        config = sim.get("/nodes/pve1/qemu/%d/config" % vmid)
        if config.get("lock") == "destroyed":
            break
        time.sleep(0.02)
    assert set(config) == {"lock", "digest"}
    assert not [v for v in sim.state()["volumes"] if v["vmid"] == vmid]
    assert sim.wait(upid)["exitstatus"] == "OK"
    assert sim.guest(vmid) is None


def test_destroy_linked_base_in_use_wording(sim):
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/9000/clone", newid=151, name="linked"))
    upid = sim.write("DELETE", "/nodes/pve1/qemu/9000")
    assert sim.wait(upid)["exitstatus"] == \
        "base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned"
    assert sim.guest(9000) is not None


def test_resize_stale_digest_wording_per_release(any_sim):
    any_sim.reset()
    _resize_stale_digest(any_sim)


def test_resize_stale_digest_wording_80_missmatch_84_mismatch(sim8):
    _resize_stale_digest(sim8)


def _resize_stale_digest(any_sim):
    vmid = _clone(any_sim)
    stale = any_sim.get("/nodes/pve1/qemu/%d/config" % vmid)["digest"]
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, description="changed by another user")
    resp = any_sim.call("PUT", "/nodes/pve1/qemu/%d/resize" % vmid, data={"disk": "scsi0", "size": "+1G",
                                                                          "digest": stale})
    if any_sim.release == "7.4":                     # synchronous on 7.x
        assert resp.status_code == 500 and resp.reason == MISSMATCH
    else:                                            # a resize task from qemu-server 8.0.1
        wanted = MISSMATCH if any_sim.release == "8.0" else MISMATCH
        assert any_sim.wait(resp.json()["data"])["exitstatus"] == wanted
    assert "size=2G" in any_sim.get("/nodes/pve1/qemu/%d/config" % vmid)["scsi0"]


def test_shutdown_of_stopped_guest_under_lock_ends_ok(sim):
    vmid = _clone(sim)
    sim.fault(kind="task_duration", type="vzdump", seconds=50)
    backup = sim.write("POST", "/nodes/pve1/vzdump", vmid=vmid, storage="local")
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/status/shutdown" % vmid)
    assert sim.wait(upid)["exitstatus"] == "OK"                 # _do_vm_stop returns before check_lock
    sim.wait(backup)


def test_shutdown_of_paused_guest_refused_unless_force_stop(sim):
    vmid = _clone(sim)
    _start(sim, vmid)
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/%d/status/suspend" % vmid))
    resp = sim.call("POST", "/nodes/pve1/qemu/%d/status/shutdown" % vmid)
    assert resp.status_code == 500 and resp.reason == "VM is paused - cannot shutdown"
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/status/shutdown" % vmid, forceStop=1)
    assert sim.wait(upid)["exitstatus"] == "OK"
    assert sim.get("/nodes/pve1/qemu/%d/status/current" % vmid)["status"] == "stopped"


def test_reboot_ignoring_acpi_times_out(sim):
    vmid = _clone(sim)
    _start(sim, vmid)
    sim.fault(kind="ignore_acpi", vmid=vmid)
    upid = sim.write("POST", "/nodes/pve1/qemu/%d/status/reboot" % vmid, timeout=10)
    assert sim.wait(upid)["exitstatus"] == "VM quit/powerdown failed - got timeout"


def test_skiplock_only_for_root_at_pam_not_api_tokens(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, lock="clone")
    for method, path, data in (("DELETE", "/nodes/pve1/qemu/%d" % vmid, None),
                               ("PUT", "/nodes/pve1/qemu/%d/config" % vmid, {"cores": 3}),
                               ("POST", "/nodes/pve1/qemu/%d/config" % vmid, {"cores": 3}),
                               ("POST", "/nodes/pve1/qemu/%d/status/start" % vmid, None)):
        resp = any_sim.call(method, path, params={"skiplock": 1} if data is None else None,
                            data=dict(data, skiplock=1) if data else None)
        assert resp.status_code == 400, (method, path, resp.text)
        assert resp.json()["errors"] == {"skiplock": "Only root may use this option."}
    login = any_sim.call("POST", "/access/ticket", data={"username": "root@pam", "password": any_sim.info["password"]},
                         token=False).json()["data"]
    headers = {"Cookie": "PVEAuthCookie=" + login["ticket"], "CSRFPreventionToken": login["CSRFPreventionToken"]}
    resp = any_sim.call("DELETE", "/nodes/pve1/qemu/%d" % vmid, params={"skiplock": 1}, headers=headers, token=False)
    assert resp.status_code == 200
    assert any_sim.wait(resp.json()["data"])["exitstatus"] == "OK" and any_sim.guest(vmid) is None


def test_sshkeys_checked_by_the_handler_500(any_sim):
    any_sim.reset()
    vmid = _clone(any_sim)
    good = "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAA%20ops%40example%0A"
    for bad in ("%23%20a%20comment%0A" + good, "ssh-foo%20AAAAC3NzaC1lZDI1NTE5AAAA%0A", "hello"):
        for method in ("PUT", "POST"):
            resp = any_sim.call(method, "/nodes/pve1/qemu/%d/config" % vmid, data={"sshkeys": bad})
            assert resp.status_code == 500 and resp.reason == "SSH public key validation error", (bad, resp.text)
    assert not [t for t in any_sim.state()["tasks"] if t["type"] == "qmconfig"]
    resp = any_sim.call("PUT", "/nodes/pve1/qemu/%d/config" % vmid, data={"sshkeys": "not%20url encoded"})
    assert resp.status_code == 400 and "sshkeys" in resp.json()["errors"]
    any_sim.write("PUT", "/nodes/pve1/qemu/%d/config" % vmid, sshkeys=good + "%0A")


# --- cpu, cpuunits (issue 18) ---------------------------------------------------------------------------------------

def test_unknown_cputype_refused_x86_64_v2_from_8_0(sim7):
    vmid = _clone(sim7)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    for value in ("pentium9", "x86-64-v2-AES", "cputype=x86-64-v2-AES,flags=+aes"):
        resp = sim7.call("PUT", path, data={"cpu": value})
        assert resp.status_code == 400 and "cpu" in resp.json()["errors"], value
    assert sim7.call("PUT", path, data={"cpu": "host"}).status_code == 200
    assert sim7.call("PUT", path, data={"cpu": "custom-mine"}).status_code == 200


def test_x86_64_v2_aes_taken_and_cpuunits_clamped_on_9_1(sim):
    vmid = _clone(sim)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    assert sim.call("PUT", path, data={"cpu": "x86-64-v2-AES", "cpuunits": 50000}).status_code == 200
    config = sim.get(path)
    assert config["cpu"] == "x86-64-v2-AES" and int(config["cpuunits"]) == 10000
    assert sim.call("PUT", path, data={"cpu": "kvm65"}).status_code == 400


# --- NIC hot-plug (issue 18) ----------------------------------------------------------------------------------------

def _pending_keys(sim, vmid):
    return dict((p["key"], p) for p in sim.get("/nodes/pve1/qemu/%d/pending" % vmid) if "pending" in p or p.get("delete"))


def _nic_hotplug(sim):
    """qemu-server vmconfig_hotplug_pending / vmconfig_update_net: with `network` in `hotplug` (the default) NICs are
    added, changed and removed live; without it, bridge/tag/firewall/rate changes stay live and the rest is pending."""
    vmid = _clone(sim)
    _start(sim, vmid)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    sim.write("PUT", path, net1="virtio,bridge=vmbr1,tag=100")            # default hotplug: network,disk,usb
    mac1 = sim.get(path, current=1)["net1"].split(",")[0].split("=")[1]
    assert _pending_keys(sim, vmid) == {}
    sim.write("PUT", path, hotplug="disk,usb")                            # applied live itself
    assert sim.get(path, current=1)["hotplug"] == "disk,usb"
    sim.write("PUT", path, net1="virtio=%s,bridge=vmbr0,firewall=1,rate=5" % mac1)     # bridge/firewall/rate: live
    assert _pending_keys(sim, vmid) == {}
    assert sim.get(path, current=1)["net1"] == "virtio=%s,bridge=vmbr0,firewall=1,rate=5" % mac1
    sim.write("PUT", path, net1="e1000=%s,bridge=vmbr0" % mac1, net2="virtio,bridge=vmbr1")   # model, new NIC
    pending = _pending_keys(sim, vmid)
    assert sorted(pending) == ["net1", "net2"] and pending["net1"]["pending"].startswith("e1000=" + mac1)
    assert sim.get(path, current=1)["net1"].startswith("virtio=" + mac1) and "net2" not in sim.get(path, current=1)
    sim.write("PUT", path, revert="net1,net2")
    sim.write("PUT", path, delete="net1")
    assert _pending_keys(sim, vmid)["net1"]["delete"] == 1 and "net1" not in sim.get(path)
    sim.wait(sim.write("POST", "/nodes/pve1/qemu/%d/status/reboot" % vmid))
    assert "net1" not in sim.get(path, current=1) and _pending_keys(sim, vmid) == {}


def test_nic_hotplug_follows_the_hotplug_option_91(sim):
    _nic_hotplug(sim)


def test_nic_hotplug_follows_the_hotplug_option_74(sim7):
    _nic_hotplug(sim7)


def test_balloon_live_unless_the_device_turns_on_or_off(sim):
    """vmconfig_hotplug_pending: `balloon` changes at once, but enabling or disabling the device (0) is pending."""
    vmid = _clone(sim)
    _start(sim, vmid)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    sim.write("PUT", path, balloon=512)
    assert _pending_keys(sim, vmid) == {} and int(sim.get(path, current=1)["balloon"]) == 512
    sim.write("PUT", path, balloon=0)
    assert int(_pending_keys(sim, vmid)["balloon"]["pending"]) == 0
    assert int(sim.get(path, current=1)["balloon"]) == 512


# --- data disks: allocation, detach into unusedN, deletion, hotplug --------------------------------------------------

def _volumes(sim, vmid, storage="local-lvm"):
    return sorted(v["volid"] for v in sim.get("/nodes/pve1/storage/%s/content" % storage) if v.get("vmid") == vmid)


def test_new_disk_from_storage_and_size_in_gib_then_detach_keeps_the_volume_as_unused(fresh):
    """update_vm_api: `scsi1: STORAGE:SIZE` allocates SIZE GiB (fractions allowed, Drive.pm $NEW_DISK_RE);
    delete=scsi1 detaches it into unusedN (vmconfig_delete_or_detach_drive without force); delete=unusedN deletes
    the volume (try_deallocate_drive)."""
    sim = fresh
    vmid = _clone(sim, newid=161)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    sim.write("PUT", path, scsi1="local-lvm:1.5,discard=on")
    config = sim.get(path)
    volume = config["scsi1"].split(",")[0]
    assert "size=1536M" in config["scsi1"] and "discard=on" in config["scsi1"]
    assert volume in _volumes(sim, vmid)
    sim.write("PUT", path, delete="scsi1")
    config = sim.get(path)
    assert "scsi1" not in config and config["unused0"] == volume
    assert volume in _volumes(sim, vmid)            # detached, not deleted
    sim.write("PUT", path, delete="unused0")
    assert "unused0" not in sim.get(path) and volume not in _volumes(sim, vmid)


def test_running_guest_disk_hotplug_follows_the_hotplug_option(fresh):
    """vmconfig_hotplug_pending: with `disk` in hotplug (default network,disk,usb) a new scsi/virtio disk is plugged
    in and a detached one unplugged at once; sata/ide, or hotplug without disk, wait for the next start."""
    sim = fresh
    vmid = _clone(sim, newid=162)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    _start(sim, vmid)
    sim.write("PUT", path, scsi1="local-lvm:1", sata1="local-lvm:1")
    pending = dict((e["key"], e) for e in sim.get("/nodes/pve1/qemu/%d/pending" % vmid))
    assert "pending" not in pending["scsi1"] and "pending" in pending["sata1"]
    sim.write("PUT", path, delete="scsi1")
    config = sim.get(path)
    assert "scsi1" not in config and config["unused0"].startswith("local-lvm:vm-%d-disk-" % vmid)
    vmid = _clone(sim, newid=164)       # hotplug as the guest runs with it (a change of it waits for the start)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    sim.write("PUT", path, hotplug="network,usb", scsi2="local-lvm:1")
    _start(sim, vmid)
    sim.write("PUT", path, virtio1="local-lvm:1", delete="scsi2")
    pending = dict((e["key"], e) for e in sim.get("/nodes/pve1/qemu/%d/pending" % vmid))
    assert "pending" in pending["virtio1"] and pending["scsi2"].get("delete") == 1


def test_protected_guest_keeps_its_drives_and_unused_volumes(fresh):
    """check_protection in update_vm_api's delete loop: "can't remove drive 'scsi1' - protection mode enabled"."""
    sim = fresh
    vmid = _clone(sim, newid=163)
    path = "/nodes/pve1/qemu/%d/config" % vmid
    sim.write("PUT", path, scsi1="local-lvm:1")
    sim.write("PUT", path, delete="scsi1")
    sim.write("PUT", path, scsi1="local-lvm:1", protection=1)
    resp = sim.call("PUT", path, data={"delete": "scsi1"})
    assert resp.status_code == 500 and resp.reason == "can't remove drive 'scsi1' - protection mode enabled"
    resp = sim.call("PUT", path, data={"delete": "unused0"})
    assert resp.status_code == 500 and resp.reason.startswith("can't remove unused disk 'local-lvm:vm-%d-disk-" % vmid)
    assert "scsi1" in sim.get(path) and "unused0" in sim.get(path)
