# Copyright (c) 2026 Jotunheim maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for sizes: parse/format of disk sizes (binary units)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.jotunheim.proxmox.plugins.module_utils.errors import InputError
from ansible_collections.jotunheim.proxmox.plugins.module_utils.sizes import api_size, format_size, parse_increase, parse_size

K, M, G, T = 1024, 1024 ** 2, 1024 ** 3, 1024 ** 4


@pytest.mark.parametrize("text,expected", [
    ("40G", 40 * G), ("40960M", 40 * G), ("1.5T", 3 * T // 2), ("1073741824", G), (1073741824, G),
    ("512M", 512 * M), ("64K", 64 * K), ("40g", 40 * G), (" 40 G ", 40 * G), ("40GiB", 40 * G), ("40GB", 40 * G),
    ("1P", 1024 * T), ("0.5K", 512), ("2.25G", 9 * G // 4),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "G", "forty", "40X", "4 0G", "40G10M", "-5G", "+10G", "0", "0G", "1.3G", None, True, "1e3"])
def test_parse_size_rejects_with_option_name(text):
    with pytest.raises(InputError) as err:
        parse_size(text, option="disk_size")
    assert err.value.option == "disk_size"
    assert str(err.value).startswith("disk_size: ")


def test_parse_size_relative_explains():
    with pytest.raises(InputError) as err:
        parse_size("+10G")
    assert "absolute" in str(err.value)


@pytest.mark.parametrize("text", ["20", 20, "+20", "1000"])
def test_a_bare_small_number_asks_for_the_unit(text):
    with pytest.raises(InputError) as err:
        parse_increase(text, option="size") if str(text).startswith("+") else parse_size(text, option="size")
    assert err.value.option == "size" and "did you mean" in str(err.value) and "counts bytes" in str(err.value)


@pytest.mark.parametrize("text,expected", [("+10G", 10 * G), ("10G", 10 * G), ("+512M", 512 * M), (4 * M, 4 * M)])
def test_parse_increase(text, expected):
    assert parse_increase(text) == expected


@pytest.mark.parametrize("text", ["-10G", "+0", "+", "+x"])
def test_parse_increase_rejects(text):
    with pytest.raises(InputError) as err:
        parse_increase(text)
    assert err.value.option == "increase"


@pytest.mark.parametrize("nbytes,expected", [
    (40 * G, "40G"), (3 * T // 2, "1.5T"), (512 * M, "512M"), (T, "1T"), (1536 * M, "1.5G"), (40 * G + 4 * M, "40964M"),
    (1000, "1000"), (1536, "1.5K"), (9 * T // 8, "1152G"), (5 * G // 4, "1.25G"), (1, "1"),
])
def test_format_size(nbytes, expected):
    assert format_size(nbytes) == expected


@pytest.mark.parametrize("nbytes", [M, 1000 * M + 1, 40 * G, 40 * G + 4 * M, 3 * T // 2, 123456789, 9 * T // 8 + 1])
def test_format_size_round_trips(nbytes):
    assert parse_size(format_size(nbytes)) == nbytes
    assert parse_size(api_size(nbytes)) == nbytes


@pytest.mark.parametrize("nbytes,expected", [(40 * G, "40G"), (3 * T // 2, "1536G"), (40 * G + 4 * M, "40964M"), (1000, "1000")])
def test_api_size_uses_whole_units(nbytes, expected):
    assert api_size(nbytes) == expected
