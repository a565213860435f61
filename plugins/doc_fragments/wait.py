# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The code side of these options is wait_argument_spec() in plugins/module_utils/module.py.
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait for the Proxmox VE tasks the module starts to finish.
      - With V(false) the module returns as soon as Proxmox VE accepted the work; its C(tasks) result then lists
        the running tasks, which C(jotunheim.proxmox.jotun_task) can wait for later.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds the whole module run may take, waiting for tasks and retrying locked guests included; greater than 0.
      - When it passes the module fails naming the tasks still running; they are left running, never stopped.
    type: float
    default: 600
'''
