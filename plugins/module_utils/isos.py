# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ISO library (jotun_iso): ISO images on storages that take ``iso`` content, on one node or every node.

Download: ``POST /nodes/{node}/storage/{storage}/download-url`` (pve-storage PVE/API2/Storage/Status.pm
download_url; task type ``download``, its id the file name; the worker is pve-common PVE/Tools.pm
download_file_from_url, which prints wget's progress, verifies ``checksum`` with ``checksum-algorithm`` and, for a
file that exists, compares its checksum instead of downloading, or refuses without one). Listing:
``GET .../storage/{storage}/content?content=iso``. Delete: ``DELETE .../content/{volid}`` (task imgdel); Proxmox
deletes an ISO a guest still has in a CD-ROM drive, so this module looks at every guest's config first.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import unquote, urlsplit

from ansible_collections.jotunheim.proxmox.plugins.module_utils import guests
from ansible_collections.jotunheim.proxmox.plugins.module_utils import reconcile
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import api_path
from ansible_collections.jotunheim.proxmox.plugins.module_utils.cluster import list_guests, list_nodes
from ansible_collections.jotunheim.proxmox.plugins.module_utils.disks import is_disk_key, parse_drive
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, TaskFailed
from ansible_collections.jotunheim.proxmox.plugins.module_utils.tasks import TaskWaiter, exit_status_of, started_task

ALGORITHMS = {"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_FILE_RE = re.compile(r"^[A-Za-z0-9_.-]+\.(?:iso|img)$", re.I)
_URL_RE = re.compile(r"^https?://[^/\s]+(/\S*)?$")
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
SAME_FILE = "got correct file already"        # download_file_from_url: an existing file with the right checksum


def filename_from_url(url):
    """The last path component of ``url`` (query and fragment dropped)."""
    path = re.sub(r"[?#].*$", "", url.split("://", 1)[-1])
    return path.rsplit("/", 1)[-1] if "/" in path else ""


def url_secrets(url):
    """The password of ``url``'s user info (``https://user:password@host/...``), as written and percent-decoded:
    secrets to hide from results, messages and task logs (pve-common download_file_from_url prints the URL). []
    when there is none."""
    try:
        password = urlsplit(str(url or "")).password
    except ValueError:
        return []
    if not password:
        return []
    return sorted(set([password, unquote(password)]), key=len, reverse=True)


def check_filename(name, option="filename"):
    """An ISO file name Proxmox keeps as given (pve-storage normalize_content_filename would turn other characters
    into '_') ending in .iso or .img; InputError naming ``option`` otherwise."""
    if not name or not _FILE_RE.match(name):
        raise InputError("%s: %r is not an ISO file name (letters, digits, '.', '_' and '-', ending in .iso or .img)"
                         % (option, name), option=option)
    return name


def validate(params):
    """Check jotun_iso's options before anything is read; returns the file name. Raises InputError naming the option."""
    state = params.get("state") or "present"
    url = params.get("url")
    name = params.get("filename")
    if state == "present":
        if not url or not _URL_RE.match(url):
            raise InputError("url: %r is not an http:// or https:// URL" % (url,), option="url")
        name = name or filename_from_url(url)
        check_filename(name, "filename" if params.get("filename") else "url")
    elif state == "absent":
        if not name:
            raise InputError("filename: name the ISO to delete", option="filename")
        check_filename(name)
    checksum = params.get("checksum")
    if checksum:
        algorithm = params.get("checksum_algorithm") or "sha256"
        if not _HEX_RE.match(checksum) or len(checksum) != ALGORITHMS[algorithm]:
            raise InputError("checksum: not a %s checksum (%d hex digits)" % (algorithm, ALGORITHMS[algorithm]),
                             option="checksum")
        if state != "present":
            raise InputError("checksum: only used with state: present", option="checksum")
    return name


def iso_storages(client, node, deadline=None):
    """Names of the active storages of ``node`` that take ``iso`` content."""
    entries = client.get(api_path("nodes", node, "storage"), params={"content": "iso"}, deadline=deadline) or []
    return [e["storage"] for e in entries if "iso" in (e.get("content") or "").split(",")]


def list_isos(client, node, storage, deadline=None):
    """The ISO images on ``storage`` of ``node``: dicts {node, storage, volid, filename, size (bytes), ctime}."""
    entries = client.get(api_path("nodes", node, "storage", storage, "content"), params={"content": "iso"},
                         deadline=deadline) or []
    out = []
    for entry in entries:
        volid = entry.get("volid") or ""
        out.append({"node": node, "storage": storage, "volid": volid, "filename": volid.split("/", 1)[-1],
                    "size": int(entry.get("size") or 0), "ctime": entry.get("ctime")})
    return sorted(out, key=lambda e: e["volid"])


def target_nodes(client, params, deadline=None):
    """The nodes to act on: ``node``, or every online node where ``storage`` takes ISO images. InputError naming
    ``node`` / ``storage`` when there is none."""
    storage = params.get("storage") or "local"
    online = [n["node"] for n in list_nodes(client, deadline=deadline) if n.get("status") in (None, "online")]
    if params.get("node"):
        if params["node"] not in online:
            raise InputError("node: %r is not an online node of this cluster (online: %s)"
                             % (params["node"], ", ".join(online)), option="node")
        if storage not in iso_storages(client, params["node"], deadline):
            raise InputError("storage: %r on %s does not take ISO images (content iso)" % (storage, params["node"]),
                             option="storage")
        return [params["node"]]
    nodes = [n for n in online if storage in iso_storages(client, n, deadline)]
    if not nodes:
        raise InputError("storage: no online node has a storage %r that takes ISO images" % storage, option="storage")
    return nodes


def users_of(client, volid, nodes, deadline=None):
    """Guests on ``nodes`` with ``volid`` in a drive: ["web01 (vmid 101 on pve1, ide3)", ...]."""
    found = []
    for guest in list_guests(client, deadline=deadline):
        if guest.get("node") not in nodes or guest.get("type", "qemu") != "qemu":
            continue
        config = guests.read_config_or_none(client, guest["node"], guest["vmid"], deadline=deadline) or {}
        for key in sorted(config):
            if is_disk_key(key) and parse_drive(str(config[key])).get("volume") == volid:
                found.append("%s (vmid %s on %s, %s)" % (guest.get("name") or "-", guest["vmid"], guest["node"], key))
    return found


class IsoRun(object):
    """One run of jotun_iso."""

    def __init__(self, client, params, deadline, check_mode=False):
        self.client, self.params, self.deadline, self.check_mode = client, params, deadline, check_mode
        self.storage = params.get("storage") or "local"
        self.tasks, self.downloaded, self.deleted, self.verified = [], [], [], []
        self.changed = False

    def run(self):
        name = validate(self.params)
        nodes = target_nodes(self.client, self.params, self.deadline)
        state = self.params.get("state") or "present"
        before = dict((node, list_isos(self.client, node, self.storage, self.deadline)) for node in nodes)
        volid = "%s:iso/%s" % (self.storage, name) if name else None
        if state == "present":
            self.ensure_present(nodes, before, volid, name)
        elif state == "absent":
            self.ensure_absent(nodes, before, volid)
        after = before
        if self.changed and not self.check_mode and self.params.get("wait", True):
            after = dict((node, list_isos(self.client, node, self.storage, self.deadline)) for node in nodes)
        isos = [iso for node in nodes for iso in after[node]]
        return {"changed": self.changed, "volid": volid, "filename": name, "storage": self.storage, "nodes": nodes,
                "isos": isos, "downloaded": self.downloaded, "deleted": self.deleted, "verified": self.verified,
                "tasks": self.tasks,
                "diff": {"before": {"isos": sorted(i["volid"] + "@" + n for n in nodes for i in before[n])},
                         "after": {"isos": sorted(i["volid"] + "@" + n for n in nodes for i in before[n]
                                                  if not (n in self.deleted and i["volid"] == volid))
                                   + ["%s@%s" % (volid, n) for n in self.downloaded]}}}

    def ensure_present(self, nodes, before, volid, name):
        checksum = self.params.get("checksum")
        data = {"url": self.params["url"], "content": "iso", "filename": name}
        if checksum:
            data["checksum"] = checksum.lower()
            data["checksum-algorithm"] = self.params.get("checksum_algorithm") or "sha256"
        if self.params.get("verify_certificates") is False:
            data["verify-certificates"] = False
        started = []
        for node in nodes:
            exists = any(i["volid"] == volid for i in before[node])
            if exists and (not checksum or self.check_mode):
                continue            # by file name; with a checksum Proxmox compares the file's (no download)
            if not exists:
                self.changed = True
                self.downloaded.append(node)
            if self.check_mode:
                continue
            started.append((node, exists, self._start_download(node, name, data)))
        if not started:
            return
        if not self.params.get("wait", True):
            self.tasks.extend(started_task(upid) for _n, _e, upid in started)
            return
        done = TaskWaiter(self.client).wait([u for _n, _e, u in started], self.deadline, fail_on_error=False)
        self.tasks.extend(done)
        failures = []
        for (node, exists, _upid), task in zip(started, done):
            status = exit_status_of(task)
            if status == "OK":
                if exists:
                    self.verified.append(node)
                continue
            if node in self.downloaded:
                self.downloaded.remove(node)
            if exists and "checksum mismatch" in str(status):
                failures.append("%s on %s exists with another checksum (%s); delete it first (state: absent) to "
                                "download it again" % (volid, node, status))
            else:
                failures.append("download of %s to %s on %s failed: %s" % (self.params["url"], self.storage, node,
                                                                           status))
        if failures:
            failed = [t for t in done if exit_status_of(t) != "OK"]
            err = TaskFailed("; ".join(failures), tasks=self.tasks, log_tail=failed[0].get("log_tail") or [])
            if self.downloaded:         # the other nodes' downloads worked: the run changed those
                err.extra.update({"changed": True, "downloaded": list(self.downloaded)})
            raise err

    def _start_download(self, node, name, data):
        """POST download-url on ``node`` once; its UPID. After an unknown outcome (dropped connection, read timeout,
        596) the ``download`` task it started (its id is the file name) is looked up in the node's task list instead
        of sending it again; ProxmoxError (unknown) when none appears."""
        path = api_path("nodes", node, "storage", self.storage, "download-url")
        since = reconcile.write_started(self.client)
        try:
            return self.client.post(path, data=data, deadline=self.deadline)
        except ProxmoxError as err:
            if err.kind != ProxmoxError.UNKNOWN:
                raise
            upid = reconcile.find_started_task(self.client, node, "download", since, task_id=name,
                                               deadline=self.deadline)
            if upid:
                return upid
            raise ProxmoxError("the download of %s to %s on %s got no answer (%s) and no download task appeared; not "
                               "sending it again - run the module again to see whether the file is there"
                               % (name, self.storage, node, err.message), kind=ProxmoxError.UNKNOWN, method="POST",
                               path=path)

    def ensure_absent(self, nodes, before, volid):
        holders = [node for node in nodes if any(i["volid"] == volid for i in before[node])]
        if not holders:
            return
        users = users_of(self.client, volid, holders, self.deadline)
        if users:
            raise InputError("filename: %s is in use by %s; eject it first (jotun_server iso: none)"
                             % (volid, ", ".join(users)), option="filename")
        self.changed = True
        self.deleted.extend(holders)
        if self.check_mode:
            return
        upids = []
        for node in holders:
            upid = self.client.delete(api_path("nodes", node, "storage", self.storage, "content", volid),
                                      deadline=self.deadline)
            if upid:
                upids.append(upid)
        if not self.params.get("wait", True):
            self.tasks.extend(started_task(u) for u in upids)
        elif upids:
            self.tasks.extend(TaskWaiter(self.client).wait(upids, self.deadline))


def run_iso(module):
    """jotun_iso: the result dict for module.run()."""
    for secret in url_secrets(module.params.get("url")):
        module.no_log_values.add(secret)     # masked by AnsibleModule in the result, the messages and the invocation
    result = IsoRun(module.client, dict(module.params), module.deadline(), check_mode=module.check_mode).run()
    if not getattr(module, "_diff", False):
        result.pop("diff", None)
    return result


def run_iso_info(module):
    """jotun_iso_info: the ISO images on ``storage`` of ``node`` (or of every node where it takes ISOs)."""
    params = module.params
    deadline = module.deadline() if hasattr(module, "deadline") else None
    if params.get("filename"):
        check_filename(params["filename"])
    nodes = target_nodes(module.client, params, deadline)
    storage = params.get("storage") or "local"
    isos = [iso for node in nodes for iso in list_isos(module.client, node, storage, deadline)
            if not params.get("filename") or iso["filename"] == params["filename"]]
    return {"changed": False, "nodes": nodes, "storage": storage, "isos": isos}


def find_iso(client, node, value, option="iso", deadline=None):
    """The volid of ISO ``value`` (a volid, or a file name looked up on the ISO storages of ``node``) on ``node``;
    InputError naming ``option`` when it is not there."""
    if ":" in value:
        storage = value.split(":", 1)[0]
        try:
            found = [i for i in list_isos(client, node, storage, deadline) if i["volid"] == value]
        except ProxmoxError:
            found = []
        if not found:
            raise InputError("%s: %s does not exist on %s" % (option, value, node), option=option)
        return value
    check_filename(value, option)
    for storage in iso_storages(client, node, deadline):
        for iso in list_isos(client, node, storage, deadline):
            if iso["filename"] == value:
                return iso["volid"]
    raise InputError("%s: no ISO named %r on the ISO storages of %s (download it with jotun_iso)" % (option, value, node),
                     option=option)
