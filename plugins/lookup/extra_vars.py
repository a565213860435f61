# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup plugin: the names of the extra variables the play was started with (-e, or a panel's / AWX's extravars)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: extra_vars
author: Jotunheim maintainers (@jotunheim)
short_description: Names of the extra variables given to ansible-playbook
version_added: 0.1.0
description:
  - Returns the sorted names of the extra variables (C(-e)/C(--extra-vars), also C(-e @file) as ansible-runner and
    AWX pass a job's survey answers) the current C(ansible-playbook) run was started with - only those, not
    inventory, play or role variables, which a template cannot tell apart from extra variables.
  - The job playbooks use it to refuse inputs they do not take (C(playbooks/tasks/inputs.yml)).
  - Takes no terms.
notes:
  - Runs on the controller; the values are not returned, so no secret given as an extra variable reaches a result.
"""

EXAMPLES = r"""
- name: Refuse extra variables this job does not take
  ansible.builtin.assert:
    that: lookup('jotunheim.proxmox.extra_vars', wantlist=True) | difference(['server', 'memory']) | length == 0
    fail_msg: this job takes server and memory
"""

RETURN = r"""
_raw:
  description: The names of the extra variables, sorted.
  type: list
  elements: str
"""

from ansible import context
from ansible.plugins.lookup import LookupBase
from ansible.utils.vars import load_extra_vars


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if not context.CLIARGS.get("extra_vars"):
            return []
        return sorted(load_extra_vars(self._loader))
