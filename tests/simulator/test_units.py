"""Pure pieces of the simulator: sizes, property strings, retention marks, spec verification."""
import time

import pytest

from pvesim import prune
from pvesim.errors import ApiError
from pvesim.model import Volume, format_size, parse_size
from pvesim.params import parse_property_string, verify
from pvesim.specs import spec_for


def test_sizes():
    assert format_size(2 * 1024 ** 3) == "2G"
    assert format_size(2560 * 1024 ** 2) == "2560M"
    assert format_size(1024 ** 3 + 1) == str(1024 ** 3 + 1)
    assert parse_size("1.5G") == 1536 * 1024 ** 2 and parse_size("4096") == 4096


def test_property_string_aliases_and_errors():
    fmt = spec_for("PUT", "/nodes/{node}/qemu/{vmid}/config", (9, 1))["net[n]"]["format"]
    parsed, errors = parse_property_string(fmt, "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=10", "net0")
    assert not errors and parsed["model"] == "virtio" and parsed["macaddr"] == "BC:24:11:00:00:01"
    _parsed, errors = parse_property_string(fmt, "bridge=vmbr0,tag=5000", "net0")
    assert any("model" in e for e in errors) and any("maximum" in e for e in errors)


def _archives(ctimes):
    out = []
    for i, ctime in enumerate(ctimes):
        vol = Volume("local:backup/vzdump-qemu-100-%d.vma.zst" % i, 1, 100, "backup", "vma.zst", ctime)
        out.append(vol)
    return out


def test_prune_keep_daily_keeps_newest_per_day():
    day = 86400
    base = int(time.mktime((2026, 11, 20, 12, 0, 0, 0, 0, -1)))
    vols = _archives([base, base + 3600, base + day, base + 2 * day, base + 2 * day + 60])
    # newest first: day 3 (two archives), day 2, day 1 (two archives)
    assert [e["mark"] for e in prune.select(vols, "keep-daily=2")] == ["keep", "remove", "keep", "remove", "remove"]


def test_prune_protected_and_keep_all():
    vols = _archives([100, 200, 300])
    vols[0].protected = True
    assert [e["mark"] for e in prune.select(vols, "keep-last=1")] == ["keep", "remove", "protected"]
    assert {e["mark"] for e in prune.select(vols, "keep-all=1")} == {"keep", "protected"}


def test_verify_types_and_release_booleans():
    props = spec_for("POST", "/nodes/{node}/qemu/{vmid}/clone", (7, 4))
    clean = verify(props, {"node": "pve1", "vmid": "9000", "newid": "101", "full": "1"}, json_bools=False)
    assert clean["newid"] == 101 and clean["full"] == 1
    with pytest.raises(ApiError) as err:
        verify(props, {"node": "pve1", "vmid": "9000", "newid": 101, "full": True}, json_bools=False)
    assert err.value.status == 400 and set(err.value.errors) == {"full"}
    assert verify(props, {"node": "pve1", "vmid": 9000, "newid": 101, "full": True}, json_bools=True)["full"] == 1
