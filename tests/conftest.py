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

# The version matrix (ansible-core 2.17, Python 3.13) runs what can differ between versions, not everything twice:
# every unit and simulator test, and the integration files below, which cover each module's argument handling and
# results, the client's transport, TLS and login paths, the task engine, the callbacks and the collection build.
# The main pytest step runs everything on the default versions. Select with `-m matrix`.
MATRIX_INTEGRATION = frozenset([
    "test_client_auth.py", "test_client_faults.py", "test_client_module.py", "test_collection_build.py",
    "test_task_module.py", "test_tasks_wait.py", "test_server.py", "test_server_info_module.py",
    "test_node_info_module.py", "test_disk_resize.py", "test_backup.py", "test_playbooks_inputs.py",
    "test_awx_runner.py", "test_inventory.py",
])


def pytest_collection_modifyitems(config, items):
    import pytest
    for item in items:
        path = os.path.relpath(str(item.fspath), os.path.join(REPO, "tests"))
        if path.partition(os.sep)[0] in ("unit", "simulator") or os.path.basename(path) in MATRIX_INTEGRATION:
            item.add_marker(pytest.mark.matrix)
