# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ``ansible-inventory --list`` on a ``*.jotun.yml`` source against a simulator and read what it printed."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

import yaml

from harness import VENV_BIN, ansible_env

FLEET = 200                 # guests seeded with --seed-guests (simulator/pvesim/fleet.py)
FLEET_START = 1000


def fleet_index(vmid):
    return vmid - FLEET_START


def write_source(folder, config, name="fleet.jotun.yml"):
    """An inventory file for the plugin (``plugin:`` added) in ``folder``; returns its path."""
    path = os.path.join(str(folder), name)
    with open(path, "w") as handle:
        yaml.safe_dump(dict({"plugin": "jotunheim.proxmox.jotun"}, **config), handle)
    return path


def unwrap(value):
    """ansible-inventory (2.19+) prints untrusted strings as {"__ansible_unsafe": "..."}: plain values back."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((key, unwrap(item)) for key, item in value.items())
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


class Listing(object):
    """The parsed --list output: hosts (host -> vars), groups (group -> sorted hosts), the warnings printed."""

    def __init__(self, rc, data, stderr):
        self.rc = rc
        self.stderr = stderr
        self.warnings = " ".join(stderr.split())     # Ansible wraps long warnings over lines
        self.raw = data
        self.hostvars = unwrap((data.get("_meta") or {}).get("hostvars") or {})
        self.groups = {}
        for group, body in data.items():
            if group != "_meta" and isinstance(body, dict):
                self.groups[group] = sorted(body.get("hosts") or [])

    def members(self, group):
        return self.groups.get(group, [])

    def by_vmid(self, vmid):
        found = [h for h, v in self.hostvars.items() if v.get("jotun_vmid") == vmid]
        assert len(found) == 1, (vmid, found)
        return found[0], self.hostvars[found[0]]


def run_inventory(sim, source, env=None, args=(), auth="token", timeout=300):
    """ansible-inventory -i source --list with the simulator's PROXMOX_* variables; returns a Listing."""
    run_env = ansible_env(sim.env(auth) if sim is not None else None)
    run_env.update(env or {})
    cmd = [os.path.join(VENV_BIN, "ansible-inventory"), "-i", source, "--list"] + list(args)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=run_env, timeout=timeout,
                          universal_newlines=True, check=False, cwd=os.path.dirname(source))
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except ValueError:
        data = {}
    return Listing(proc.returncode, data, proc.stderr)
