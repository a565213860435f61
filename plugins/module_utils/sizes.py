# -*- coding: utf-8 -*-
# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parse and format disk sizes the way Proxmox VE writes them (binary units: 1K = 1024 bytes)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
from decimal import Decimal, InvalidOperation

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError

UNITS = (("T", 1024 ** 4), ("G", 1024 ** 3), ("M", 1024 ** 2), ("K", 1024))
_FACTORS = dict(UNITS)
_FACTORS["P"] = 1024 ** 5
# a number without unit counts bytes; below this it is surely a forgotten unit ("20" meant "20G")
BARE_MINIMUM = 1024 ** 2
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGTP])?(?:I?B)?$")


def _to_bytes(text, option, what):
    """Return the whole number of bytes *text* ("40G", "1.5T", "1073741824") stands for."""
    if isinstance(text, bool):
        raise InputError("%s: expected a size such as 40G, got %r" % (option, text), option=option)
    if isinstance(text, int):
        value = text
        if 0 < value < BARE_MINIMUM:
            raise InputError("%s: %d has no unit, so it counts bytes: no disk is that small; did you mean %dG?"
                             % (option, value, value), option=option)
    else:
        raw = str(text).strip()
        match = _SIZE_RE.match(raw.upper())
        if not match:
            raise InputError("%s: cannot read %r as %s; write a number with an optional unit K, M, G or T "
                             "(binary: 1G = 1024M), e.g. 40G, 1.5T, 40960M or a plain byte count" % (option, raw, what),
                             option=option)
        try:
            exact = Decimal(match.group(1)) * _FACTORS.get(match.group(2) or "", 1)
        except InvalidOperation:
            raise InputError("%s: cannot read %r as %s" % (option, raw, what), option=option)
        if match.group(2) is None and 0 < exact < BARE_MINIMUM:
            raise InputError("%s: %r has no unit, so it counts bytes (%s bytes): no disk is that small; did you mean "
                             "%sG?" % (option, raw, match.group(1), match.group(1)), option=option)
        if exact != exact.to_integral_value():
            raise InputError("%s: %r is not a whole number of bytes; use a smaller unit (e.g. M instead of G)" % (option, raw),
                             option=option)
        value = int(exact)
    if value <= 0:
        raise InputError("%s: the size must be greater than zero, got %r" % (option, text), option=option)
    return value


def parse_size(text, option="size"):
    """Absolute size in bytes: "40G", "40960M", "1.5T", "1073741824" (bytes) or an int.

    Units are binary (K, M, G, T, P; an optional "B"/"iB" suffix is allowed). Raises InputError naming *option*.
    """
    if isinstance(text, str) and text.strip().startswith(("+", "-")):
        raise InputError("%s: %r is relative; give the absolute size the disk should have (e.g. 40G)" % (option, text.strip()),
                         option=option)
    return _to_bytes(text, option, "a size")


def parse_increase(text, option="increase"):
    """Relative growth in bytes: "+10G", "10G", "512M" or an int. Raises InputError naming *option*."""
    if isinstance(text, str):
        stripped = text.strip()
        if stripped.startswith("-"):
            raise InputError("%s: Proxmox VE cannot shrink a disk, got %r" % (option, stripped), option=option)
        text = stripped[1:] if stripped.startswith("+") else stripped
    return _to_bytes(text, option, "a size increase")


def format_size(nbytes):
    """Shortest exact form of *nbytes*: 42949672960 -> "40G", 1.5 TiB -> "1.5T", 536870912 -> "512M".

    Uses the largest unit (T, G, M, K) that gives at most two decimals without rounding, else plain bytes,
    so parse_size(format_size(n)) == n and the result is accepted as `size` by the Proxmox VE API.
    """
    nbytes = int(nbytes)
    for unit, factor in UNITS:
        if nbytes < factor:
            continue
        value = Decimal(nbytes) / Decimal(factor)
        if (value * 100) == (value * 100).to_integral_value():
            text = format(value.normalize(), "f")
            return text + unit
    return str(nbytes)


def api_size(nbytes):
    """A size for the Proxmox VE API `size` parameter: whole units only ("1536G", never "1.5T"), else bytes."""
    nbytes = int(nbytes)
    for unit, factor in UNITS:
        if nbytes >= factor and nbytes % factor == 0:
            return "%d%s" % (nbytes // factor, unit)
    return str(nbytes)
