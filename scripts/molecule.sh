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
work="$root/.tmp/molecule"
PVESIM_PYTHON="$root/.venv/bin/python"
# shellcheck source=scripts/simulator_env.sh
. "$root/scripts/simulator_env.sh"
start_simulator "$work" "${PVESIM_PVE:-9.1}" "${PVESIM_SPEED:-20}" --seed 1
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
