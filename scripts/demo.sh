#!/usr/bin/env bash
# The demo: set up .venv, start the Proxmox VE API simulator on 127.0.0.1, run playbooks/demo.yml against it with
# the credentials it hands out (environment variables only), stop the simulator, exit with the playbook's status.
# Usage: scripts/demo.sh [--pve 7.4|8.0|8.4|9.1] [--speed N] [extra ansible-playbook arguments]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
./scripts/bootstrap.sh
pve=9.1
speed=10
while [ $# -gt 0 ]; do
  case "$1" in
    --pve) pve=$2; shift 2 ;;
    --speed) speed=$2; shift 2 ;;
    *) break ;;
  esac
done
work="$root/.tmp/demo"
rm -rf "$work" && mkdir -p "$work"
.venv/bin/python -m pvesim --port 0 --bind 127.0.0.1 --pve "$pve" --speed "$speed" \
  --info "$work/info.json" --request-log "$work/requests.jsonl" >"$work/pvesim.out" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  [ -s "$work/info.json" ] && break
  kill -0 "$sim" 2>/dev/null || { cat "$work/pvesim.out" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/info.json" ] || { echo "the simulator did not start" >&2; exit 1; }
eval "$(.venv/bin/python - "$work/info.json" <<'PY'
import json, shlex, sys
info = json.load(open(sys.argv[1]))
env = {"PROXMOX_HOST": info["host"], "PROXMOX_PORT": info["port"], "PROXMOX_CA_PATH": info["ca_cert"],
       "PROXMOX_VALIDATE_CERTS": "true", "PROXMOX_TOKEN_ID": info["token_id"],
       "PROXMOX_TOKEN_SECRET": info["token_secret"]}
for key, value in env.items():
    print("export %s=%s" % (key, shlex.quote(str(value))))
PY
)"
echo "demo: Proxmox VE $pve simulator at https://$PROXMOX_HOST:$PROXMOX_PORT (speed x$speed)"
export ANSIBLE_COLLECTIONS_PATH="$root/.tmp/collections"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
.venv/bin/ansible-playbook -i localhost, playbooks/demo.yml "$@"
