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
rm -rf "$work"
PVESIM_PYTHON="$root/.venv/bin/python"
# shellcheck source=scripts/simulator_env.sh
. "$root/scripts/simulator_env.sh"
start_simulator "$work" "$pve" "$speed"
echo "demo: Proxmox VE $pve simulator at https://$PROXMOX_HOST:$PROXMOX_PORT (speed x$speed)"
export ANSIBLE_COLLECTIONS_PATH="$root/.tmp/collections"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
.venv/bin/ansible-playbook -i localhost, playbooks/demo.yml "$@"
