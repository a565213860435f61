# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make `ansible_collections.jotunheim.proxmox` importable for the tests (scripts/bootstrap.sh links it)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".tmp", "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
