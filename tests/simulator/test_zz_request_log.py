"""Every request the simulator accepted during this run conforms to the official schema (validate.py)."""
import glob
import json
import os

from pve_schema import require_validator, validate

REFUSED = (400, 501)       # requests the simulator itself refused as invalid


def test_request_logs_conform(sim_logs, tmp_path):
    require_validator()
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
        returncode, output = validate(release, log)
        assert returncode == 0, output[-3000:]
