#!/usr/bin/env bash
# Molecule for every role that has a scenario (roles/<role>/molecule/default, delegated driver): start one Proxmox VE
# API simulator on 127.0.0.1, hand its connection to the roles through the PROXMOX_* environment variables, run
# `molecule test` (syntax, converge, idempotence, verify) per role, stop the simulator on exit.
# Usage: scripts/molecule.sh [role ...]     (default: every role with a scenario)
# Environment: PVESIM_PVE (release, default 9.1), PVESIM_SPEED (default 20).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.tmp/collections"
work=$(mktemp -d "${TMPDIR:-/tmp}/molecule-pvesim.XXXXXX")
python -m pvesim --port 0 --bind 127.0.0.1 --pve "${PVESIM_PVE:-9.1}" --speed "${PVESIM_SPEED:-20}" --seed 1 \
  --info "$work/info.json" --request-log "$work/requests.jsonl" >"$work/pvesim.out" 2>&1 &
sim=$!
cleanup() {
  kill "$sim" 2>/dev/null || true
  wait "$sim" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  [ -s "$work/info.json" ] && break
  kill -0 "$sim" 2>/dev/null || { cat "$work/pvesim.out" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/info.json" ] || { echo "molecule.sh: the simulator did not start" >&2; exit 1; }
eval "$(python - "$work/info.json" <<'PY'
import json, shlex, sys
info = json.load(open(sys.argv[1]))
env = {"PROXMOX_HOST": info["host"], "PROXMOX_PORT": info["port"], "PROXMOX_CA_PATH": info["ca_cert"],
       "PROXMOX_VALIDATE_CERTS": "true", "PROXMOX_TOKEN_ID": info["token_id"],
       "PROXMOX_TOKEN_SECRET": info["token_secret"]}
for key, value in env.items():
    print("export %s=%s" % (key, shlex.quote(str(value))))
PY
)"
echo "molecule.sh: Proxmox VE ${PVESIM_PVE:-9.1} simulator at https://$PROXMOX_HOST:$PROXMOX_PORT"
if [ $# -gt 0 ]; then
  roles=("$@")
else
  roles=()
  for scenario in roles/*/molecule/default/molecule.yml; do
    roles+=("$(basename "$(dirname "$(dirname "$(dirname "$scenario")")")")")
  done
fi
failed=()
for role in "${roles[@]}"; do
  echo "=== molecule: role $role"
  if (cd "roles/$role" && molecule test); then
    echo "=== molecule: role $role passed"
  else
    echo "=== molecule: role $role FAILED"
    failed+=("$role")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule failed for: ${failed[*]}" >&2
  exit 1
fi
echo "molecule: ${#roles[@]} role(s) passed"
