# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
name: jotun
short_description: Proxmox VE servers (QEMU guests) as an inventory, from one cluster request
version_added: 0.1.0
description:
  - Makes every QEMU guest of a Proxmox VE cluster a host, named by its guest name (see O(filters) to narrow them).
  - A guest without a name is named by its vmid. When several guests share a name, each of them is named
    C(<name>-<vmid>) (none keeps the bare name) and a warning names them.
  - Templates are left out unless O(include_templates). A rebuild's name reservation (a config-only guest named
    C(jotun-rebuild-<vmid>.<name>) that M(jotunheim.proxmox.jotun_server) keeps while a rebuild is unfinished) is
    no server and never a host.
  - Host variables carry the prefix O(prefix) (default C(jotun_)); C(vmid), C(name), C(node), C(status), C(lock),
    C(template), C(tags) (list), C(pool), C(cores), C(memory) (MiB), C(memory_bytes), C(disk_size) (bytes) always;
    with the config read (O(details), the default) also C(sockets), C(vcpus), C(disks) (list of C(key), C(volume),
    C(storage), C(size) in bytes, C(format), C(boot)), C(nets), C(macs), C(ip_addresses) (list of C(address),
    C(prefix), C(family), C(source) C(ipconfig) or C(agent), C(net), C(interface)), C(ipv4), C(ipv6) (lists of
    addresses) and C(agent) (enabled in the config). A guest whose details could not be read keeps what the cluster
    listing says and gets C(error) (the message), with a warning; the inventory never fails for one guest.
  - Groups C(<group_prefix>node_<node>), C(<group_prefix>status_<status>), C(<group_prefix>tag_<tag>),
    C(<group_prefix>pool_<pool>), then O(compose), O(groups) and O(keyed_groups) as in every constructed inventory.
  - Cost per run, one C(GET /cluster/resources?type=vm) (without C(type) when O(filters.nodes) or O(filters.pools) is
    given, as the answer then also lists the nodes and pools; a node or pool that does not exist fails the inventory
    naming the filter) whose answer the filters are applied to, then, only for the
    guests left and only when the options need it (O(details), O(ansible_host) V(ipv4) or V(ipv6), O(agent)), one
    C(GET /nodes/{node}/qemu/{vmid}/config) each, O(workers) at a time; with O(agent) one
    C(agent/network-get-interfaces) per running guest whose config enables the agent. With O(cache) and a warm
    cache, no request at all.
  - C(/cluster/resources) shows a guest's name, status and template flag as pvestatd broadcast them (every ~10 s);
    a guest made in the last seconds is listed with status C(unknown) and its name is read from its config (one
    request) even with O(details=false).
  - Uses the collection's own API client and the same connection options and E(PROXMOX_*) environment variables as
    the modules, so one AWX credential serves both. The inventory file must end in C(.jotun.yml) or C(.jotun.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - jotunheim.proxmox.connection.plugin
options:
  plugin:
    description: Marks the file as this plugin's inventory source.
    type: str
    required: true
    choices: [jotunheim.proxmox.jotun]
  include_templates:
    description: Make templates hosts too (they are left out by default).
    type: bool
    default: false
  filters:
    description:
      - Which guests become hosts, decided on the cluster listing before any per-guest request.
      - Several values of one filter match any of them; O(filters.tags) must all be present; filters combine.
    type: dict
    default: {}
    suboptions:
      nodes:
        description: Guests on these nodes. A node the cluster does not have fails the inventory.
        type: list
        elements: str
      pools:
        description: Guests in these resource pools. A pool that does not exist fails the inventory.
        type: list
        elements: str
      tags:
        description: Guests carrying all these tags.
        type: list
        elements: str
      status:
        description: Guests in these states (V(running), V(stopped), V(paused), ...).
        type: list
        elements: str
      names:
        description: Guests whose name (the vmid when nameless) matches one of these shell patterns (C(web-*)).
        type: list
        elements: str
      exclude_names:
        description: Leave out guests whose name matches one of these shell patterns.
        type: list
        elements: str
  details:
    description:
      - Read each selected guest's config (one request each) for cores, sockets, memory, disks, network devices,
        MAC and cloud-init addresses.
      - With V(false) and O(ansible_host) V(name) (and no O(agent)), the inventory costs the one cluster request.
    type: bool
    default: true
  ansible_host:
    description:
      - What C(ansible_host) is set to; a O(compose) entry for C(ansible_host) overrides it.
      - V(ipv4) the first static IPv4 address of the cloud-init C(ipconfigN) settings, else the agent's first IPv4
        (with O(agent)).
      - V(ipv6) the same for IPv6.
      - V(agent) the first IPv4 the guest agent reports (needs O(agent)), else its first IPv6, else a static IPv4.
      - V(name) the guest name (for DNS).
      - When nothing fits, C(ansible_host) is not set and Ansible connects to the inventory host name.
    type: str
    choices: [ipv4, ipv6, agent, name]
    default: ipv4
  agent:
    description:
      - Ask the QEMU guest agent of each running guest whose config enables it for its addresses (one request
        each). A guest whose agent does not answer keeps its configured addresses and gets a warning.
    type: bool
    default: false
  workers:
    description: At most this many per-guest requests at once (threads sharing one login), 1 to 32.
    type: int
    default: 8
  prefix:
    description: Prefix of the host variables this plugin sets.
    type: str
    default: jotun_
  group_prefix:
    description: Prefix of the node, status, tag and pool groups.
    type: str
    default: jotun_
"""

EXAMPLES = r"""
# customers.jotun.yml - credentials from PROXMOX_* (as an AWX credential injects them)
plugin: jotunheim.proxmox.jotun
filters:
  pools: [customers]
  status: [running]

# fleet.jotun.yml - every server with a cache and extra groups
plugin: jotunheim.proxmox.jotun
api_host: pve1.example.net
api_token_id: automation@pve!inventory
api_token_secret: "{{ lookup('env', 'PVE_TOKEN_SECRET') }}"
ca_path: /etc/ssl/certs/pve-ca.pem
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/jotun-inventory
cache_timeout: 300
keyed_groups:
  - key: jotun_tags
    prefix: tag
compose:
  ansible_user: "'debian'"
groups:
  big: jotun_memory >= 8192

# names only, one request for the whole cluster: DNS knows the servers
plugin: jotunheim.proxmox.jotun
details: false
ansible_host: name
"""

import os

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.jotunheim.proxmox.plugins.module_utils import inventory as inv
from ansible_collections.jotunheim.proxmox.plugins.module_utils.client import ProxmoxClient
from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError, ProxmoxError, scrub
from ansible_collections.jotunheim.proxmox.plugins.module_utils.module import (
    connection_argument_spec, credentials_from_env)
from ansible_collections.jotunheim.proxmox.plugins.module_utils.validate import check_connection

FILTER_KEYS = ("nodes", "pools", "tags", "status", "names", "exclude_names")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "jotunheim.proxmox.jotun"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".jotun.yml", ".jotun.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        records = None
        if use_cache and cache:
            try:
                records = self._cache[cache_key]["records"]
            except KeyError:
                records = None
        if records is None:
            records = self._fetch()
            if use_cache:
                self._cache[cache_key] = {"records": records}
        self._populate(records)

    # -- reading ---------------------------------------------------------------------------------------------------
    def _connection_params(self):
        """The connection options (string ones templated, e.g. a lookup, and vault values decrypted), then the
        credentials from the environment under the modules' rule."""
        params = {}
        for name, spec in connection_argument_spec().items():
            value = self.get_option(name)
            if value is not None and spec["type"] in ("str", "path"):
                if self.templar.is_template(value):
                    value = self.templar.template(value)
                value = str(value)
            params[name] = value
        params.update(credentials_from_env(params, os.environ))
        return params

    def _settings(self):
        filters = self.get_option("filters") or {}
        unknown = sorted(set(filters) - set(FILTER_KEYS))
        if unknown:
            raise InputError("filters: unknown key(s) %s (use %s)" % (", ".join(unknown), ", ".join(FILTER_KEYS)),
                             option="filters")
        clean = {}
        for key in FILTER_KEYS:
            value = filters.get(key)
            if value in (None, [], ""):
                continue
            clean[key] = [str(item) for item in (value if isinstance(value, list) else [value])]
        workers = self.get_option("workers")
        if not 1 <= int(workers) <= inv.MAX_WORKERS:
            raise InputError("workers: %s is not between 1 and %d" % (workers, inv.MAX_WORKERS), option="workers")
        return dict(include_templates=self.get_option("include_templates"), filters=clean,
                    details=self.get_option("details"), ansible_host=self.get_option("ansible_host"),
                    agent=self.get_option("agent"), workers=int(workers))

    def _fetch(self):
        client = None
        try:
            settings = self._settings()
            params = self._connection_params()
            # the modules' checks (ProxmoxModule): timeouts, ports, user and token forms, secrets - naming the option
            port = params.get("api_port")
            check_connection(params, port_given=port is not None,
                             port_from_env=port is not None and os.environ.get("PROXMOX_PORT", "").strip() == str(port))
            client = ProxmoxClient.from_params(params)
            client.allow_threads(settings["workers"])
            records, warnings = inv.gather(client, **settings)
        except (InputError, ProxmoxError) as err:
            secrets = client.secrets() if client is not None else []
            raise AnsibleParserError("jotunheim.proxmox.jotun: %s" % scrub(str(err), secrets))
        finally:
            if client is not None:
                client.close()
        for warning in warnings:
            self.display.warning(warning)
        return records

    # -- the inventory ---------------------------------------------------------------------------------------------
    def _populate(self, records):
        prefix = self.get_option("prefix")
        group_prefix = self.get_option("group_prefix")
        strict = self.get_option("strict")
        compose, groups, keyed = self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups")
        made = {}
        for record in records:
            host = record["host"]
            gvars = record["vars"]
            self.inventory.add_host(host)
            for key, value in gvars.items():
                self.inventory.set_variable(host, prefix + key, value)
            if record.get("ansible_host"):
                self.inventory.set_variable(host, "ansible_host", record["ansible_host"])
            kinds = [("node", gvars.get("node")), ("status", gvars.get("status")), ("pool", gvars.get("pool"))]
            kinds += [("tag", tag) for tag in gvars.get("tags") or []]
            for kind, value in kinds:
                if not value:
                    continue
                raw = "%s%s_%s" % (group_prefix, kind, value)
                if raw not in made:
                    made[raw] = self.inventory.add_group(self._sanitize_group_name(raw))
                self.inventory.add_child(made[raw], host)
            if compose:
                self._set_composite_vars(compose, self.inventory.get_host(host).get_vars(), host, strict=strict)
            if groups or keyed:
                hostvars = self.inventory.get_host(host).get_vars()
                self._add_host_to_composed_groups(groups, hostvars, host, strict=strict)
                self._add_host_to_keyed_groups(keyed, hostvars, host, strict=strict)
