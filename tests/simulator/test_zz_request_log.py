"""Every request the simulator accepted during this run conforms to the official schema (validate.py)."""
import glob
import json
import os
import subprocess
import sys

import pytest

from simsupport import REPO

VALIDATE = os.path.join(os.path.dirname(REPO), "shared", "pve-api", "validate.py")
REFUSED = (400, 501)       # requests the simulator itself refused as invalid


def test_request_logs_conform(sim_logs, tmp_path):
    if not os.path.exists(VALIDATE):
        pytest.skip("schema validator not found at %s (../shared is absent)" % VALIDATE)
    by_release = {}
    for path in glob.glob(os.path.join(sim_logs, "requests-*.jsonl")):
        release = os.path.basename(path).split("-")[1]
        with open(path) as handle:
            by_release.setdefault(release, []).extend(
                line for line in handle if line.strip() and json.loads(line)["status"] not in REFUSED)
    assert by_release, "no request logs written"
    for release, lines in by_release.items():
        log = tmp_path / ("accepted-%s.jsonl" % release)
        log.write_text("".join(lines))
        result = subprocess.run([sys.executable, VALIDATE, "--pve", release, str(log)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-3000:]
