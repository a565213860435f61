# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The suite's test files have unique base names: pytest imports them by base name (rootdir import mode, no
``__init__.py``), so two ``test_x.py`` in different folders fail the whole run at collection ("import file
mismatch") when they are collected together, as ``scripts/test.sh`` does."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import collections
import os

TESTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def test_test_file_base_names_are_unique():
    seen = collections.defaultdict(list)
    for folder, dirs, files in os.walk(TESTS):
        dirs[:] = [d for d in dirs if d not in ("output", "__pycache__")]
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                seen[name].append(os.path.relpath(os.path.join(folder, name), TESTS))
    assert dict((name, paths) for name, paths in seen.items() if len(paths) > 1) == {}
