# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ProxmoxClient under failure: what is retried, what is never re-sent, and how the caller reconciles.

Every test asserts on what reached the simulator (its request log), not only on what the client says."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import UNREACHABLE_ATTEMPTS, ProxmoxClient, api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import RETRYABLE, UNKNOWN, ProxmoxError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.reconcile import find_started_task, write_started
from ansible_collections.jotunheim.proxmox.plugins.module_utils.retry import Deadline
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, parse_upid

CONFIG_9000 = api_path("nodes", "pve1", "qemu", 9000, "config")


def token_client(sim, **kwargs):
    args = dict(host=sim.info["host"], port=sim.info["port"], token_id=sim.info["token_id"],
                token_secret=sim.info["token_secret"], ca_path=sim.ca_cert)
    args.update(kwargs)
    return ProxmoxClient(**args)


@pytest.fixture
def fresh(sim):
    sim.reset()
    yield sim
    sim.clear_faults()


def test_596_on_a_write_is_unknown_and_not_resent(fresh):
    sim = fresh
    client = token_client(sim)
    client.release
    sim.fault(kind="status", method="PUT", path="/qemu/9000/config$", status=596, count=1)
    mark = sim.mark()
    with pytest.raises(ProxmoxError) as err:
        client.put(CONFIG_9000, {"description": "after 596"}, deadline=Deadline(30))
    assert err.value.kind == UNKNOWN and err.value.status == 596
    puts = sim.requests(mark, method="PUT")
    assert [e["status"] for e in puts] == [596]
    # pveproxy's timeout leaves the work running: reading the state shows it done
    assert client.get(CONFIG_9000)["description"].strip() == "after 596"


def test_596_at_the_proxy_timeout(sim_factory):
    """7.x resizes synchronously: past pveproxy's 30 s (simulated) inactivity timeout the answer is 596 while the
    resize goes on. The client reports an unknown outcome and never re-sends; the real state shows the work done."""
    sim = sim_factory(pve="7.4", speed=20)
    client = token_client(sim)
    assert client.release == (7, 4)
    resize = api_path("nodes", "pve1", "qemu", 9000, "resize")
    sim.fault(kind="task_duration", type="resize", seconds=45)  # 30 s until the 596, the rest after it
    mark = sim.mark()
    with pytest.raises(ProxmoxError) as err:
        client.put(resize, {"disk": "scsi0", "size": "+1G"}, deadline=Deadline(60))
    assert err.value.status == 596 and err.value.kind == UNKNOWN
    assert [e["status"] for e in sim.requests(mark, method="PUT")] == [596]
    before = sim.guest(9000)["scsi0"]
    deadline = Deadline(30)
    while sim.guest(9000)["scsi0"] == before and not deadline.expired():
        time.sleep(0.1)
    assert sim.guest(9000)["scsi0"] != before  # the resize finished after the 596
    assert len(sim.requests(mark, method="PUT")) == 1


def test_dropped_connection_after_a_write_is_unknown_sent_once_and_reconciled(fresh):
    sim = fresh
    client = token_client(sim)
    client.release
    sim.fault(kind="drop", method="POST", path="/qemu/9000/clone$", count=1)
    since = write_started(client)
    mark = sim.mark()
    with pytest.raises(ProxmoxError) as err:
        client.post(api_path("nodes", "pve1", "qemu", 9000, "clone"), {"newid": 321, "name": "dropped", "full": True},
                    deadline=Deadline(30))
    assert err.value.kind == UNKNOWN and err.value.status is None
    posts = sim.requests(mark, method="POST", path="/clone")
    assert len(posts) == 1  # reached the server exactly once, never re-sent
    upid = find_started_task(client, "pve1", "qmclone", since=since, vmid=9000, deadline=Deadline(10))
    assert upid is not None and parse_upid(upid).type == "qmclone"
    tasks = TaskWaiter(client).wait([upid], Deadline(60))
    assert tasks[0]["exitstatus"] == "OK"
    listed = sim.requests(mark, path="/nodes/pve1/tasks")
    assert listed and listed[0]["params"]["source"] == "all" and listed[0]["params"]["typefilter"] == "qmclone"
    assert str(listed[0]["params"]["vmid"]) == "9000"


def test_reconcile_finds_a_token_task_that_already_ended(fresh):
    """A token's finished task is listed under user 'root@pam' (tokenid apart) and userfilter matches that, not
    'root@pam!jotun' (pve-manager Tasks.pm $convert_token_task): the lookup filters on the user part."""
    client = token_client(fresh)
    since = write_started(client)
    upid = client.post(CONFIG_9000, {"description": "reconciled"}, deadline=Deadline(30))
    assert TaskWaiter(client).wait([upid], Deadline(60))[0]["exitstatus"] == "OK"
    mark = fresh.mark()
    assert find_started_task(client, "pve1", "qmconfig", since=since, vmid=9000, settle=0.3) == upid
    listed = fresh.requests(mark, path="/nodes/pve1/tasks")
    assert [e["params"]["userfilter"] for e in listed] == ["root@pam"]


def test_reconcile_finds_nothing_when_no_task_started(fresh):
    client = token_client(fresh)
    since = write_started(client)
    assert find_started_task(client, "pve1", "qmclone", since=since, vmid=9000, settle=0.3) is None


def test_read_timeout_on_a_write_is_unknown(fresh):
    sim = fresh
    client = token_client(sim, read_timeout=0.5)
    client.release
    sim.fault(kind="latency", path="/qemu/9000/config$", seconds=1.5)  # real seconds, beyond the read timeout
    mark = sim.mark()
    with pytest.raises(ProxmoxError) as err:
        client.put(CONFIG_9000, {"description": "timeout"}, deadline=Deadline(30))
    assert err.value.kind == UNKNOWN and "may" in str(err.value)
    assert client.request_count == 2  # /version and the one PUT
    deadline = Deadline(10)
    while not sim.requests(mark, method="PUT") and not deadline.expired():
        time.sleep(0.1)  # the server finishes the slow call after the client gave up
    assert [e["status"] for e in sim.requests(mark, method="PUT")] == [200]  # reached it once, never re-sent


def test_config_lock_timeout_is_retried_within_the_deadline(fresh):
    sim = fresh
    client = token_client(sim)
    client.release
    sim.fault(kind="hold_lock", vmid=9000, seconds=15)   # 0.75 s real; the lock wait gives up after 0.5 s real
    mark = sim.mark()
    client.put(CONFIG_9000, {"description": "after the lock"}, deadline=Deadline(30))
    puts = sim.requests(mark, method="PUT")
    assert puts[0]["status"] == 500 and puts[-1]["status"] == 200 and len(puts) >= 2
    assert client.get(CONFIG_9000)["description"].strip() == "after the lock"


def test_config_lock_timeout_without_deadline_is_one_attempt(fresh):
    sim = fresh
    client = token_client(sim)
    client.release
    sim.fault(kind="hold_lock", vmid=9000, seconds=15)
    mark = sim.mark()
    with pytest.raises(ProxmoxError) as err:
        client.put(CONFIG_9000, {"description": "no retry"})
    assert err.value.kind == RETRYABLE and "got timeout" in str(err.value)
    assert len(sim.requests(mark, method="PUT")) == 1


def test_vm_is_locked_retried_only_when_asked(fresh):
    sim = fresh
    client = token_client(sim)
    client.release
    sim.fault(kind="status", method="PUT", path="/qemu/9000/config$", status=500, message="VM is locked (backup)",
              count=1)
    mark = sim.mark()
    with pytest.raises(ProxmoxError) as err:
        client.put(CONFIG_9000, {"description": "locked"}, deadline=Deadline(30))
    assert err.value.locked and err.value.kind == RETRYABLE
    assert len(sim.requests(mark, method="PUT")) == 1
    sim.fault(kind="status", method="PUT", path="/qemu/9000/config$", status=500, message="VM is locked (backup)",
              count=1)
    mark = sim.mark()
    client.put(CONFIG_9000, {"description": "locked"}, deadline=Deadline(30), retry_locked=True)
    assert [e["status"] for e in sim.requests(mark, method="PUT")] == [500, 200]


def test_get_retries_transient_answers(fresh):
    sim = fresh
    client = token_client(sim)
    sim.fault(kind="status", method="GET", path="/nodes$", status=596, count=2)
    mark = sim.mark()
    assert client.get("/nodes")
    assert [e["status"] for e in sim.requests(mark, path="/nodes")] == [596, 596, 200]


def test_get_does_not_retry_final_answers(fresh):
    sim = fresh
    client = token_client(sim)
    mark = sim.mark()
    with pytest.raises(ProxmoxError):
        client.get(api_path("nodes", "pve1", "qemu", 4242, "status", "current"))
    assert len(sim.requests(mark)) == 1


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_connection_refused_is_retryable():
    client = ProxmoxClient("127.0.0.1", port=_closed_port(), token_id="root@pam!t", token_secret="s",
                           validate_certs=False, connect_timeout=1)
    with pytest.raises(ProxmoxError) as err:
        client.post("/nodes/pve1/qemu/100/status/start")
    assert err.value.kind == RETRYABLE and "refused" in str(err.value)
    assert client.request_count == 1  # no deadline: one attempt
    with pytest.raises(ProxmoxError) as err:
        client.get("/version", deadline=Deadline(3600))
    # GETs retry with backoff, but a server that does not answer at all fails within a few attempts, not at the
    # run's deadline
    assert client.request_count == 1 + UNREACHABLE_ATTEMPTS and "gave up after 3 attempts" in str(err.value)


def password_client(sim, **kwargs):
    args = dict(host=sim.info["host"], port=sim.info["port"], user=sim.info["user"], password=sim.info["password"],
                ca_path=sim.ca_cert)
    args.update(kwargs)
    return ProxmoxClient(**args)


def test_login_answered_5xx_is_retried_like_a_get(fresh):
    sim = fresh
    sim.fault(kind="status", method="POST", path="^/access/ticket$", status=596, count=2)
    mark = sim.mark()
    client = password_client(sim)
    assert client.get("/nodes")
    assert [e["status"] for e in sim.requests(mark, path="/access/ticket")] == [596, 596, 200]


def test_login_5xx_keeps_its_real_status(fresh):
    sim = fresh
    sim.fault(kind="status", method="POST", path="^/access/ticket$", status=503, count=0)   # every login
    mark = sim.mark()
    client = password_client(sim)
    with pytest.raises(ProxmoxError) as err:
        client.get("/nodes", deadline=Deadline(1.0))
    assert err.value.status == 503 and err.value.kind == RETRYABLE
    assert "api_password" not in str(err.value) and sim.info["password"] not in str(err.value)
    assert len(sim.requests(mark, path="/access/ticket")) >= 2     # retried within the deadline
