# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The official Proxmox VE API schema checker (validate.py) for the tests that check request logs against it.

validate.py and the schemas are not part of this project: developers and CI have them at ../shared/pve-api beside
the checkout, and PVE_API_DIR can point elsewhere. Where they are absent, those checks are skipped, saying why.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API_DIR = os.environ.get("PVE_API_DIR") or os.path.join(os.path.dirname(REPO), "shared", "pve-api")
VALIDATE = os.path.join(API_DIR, "validate.py")
MISSING = "the API schema checker is not at %s (../shared beside the checkout, or set PVE_API_DIR)" % VALIDATE


def require_validator():
    """Skip the calling test, saying why, when validate.py is absent."""
    if not os.path.exists(VALIDATE):
        pytest.skip(MISSING)


def validate(release, log):
    """(exit code, output) of validate.py for the request log *log* against the schema of *release*."""
    require_validator()
    proc = subprocess.run([sys.executable, VALIDATE, "--pve", str(release), str(log)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300, check=False)
    return proc.returncode, proc.stdout
