#!/usr/bin/env bash
# Every test of the project, from a fresh clone: set up .venv from the project's own files, then run
#   1. pytest: unit tests, the simulator's own tests, the integration tests (real ansible-playbook against the
#      simulator over HTTPS), then the check of every request those tests sent against the official API schema;
#   2. ansible-test sanity on the collection (no ignore files);
#   3. ansible-lint (production profile) on roles and playbooks, and molecule for each role;
#   4. the unit and integration tests with the oldest supported ansible-core (2.17);
#   5. the same sanity and tests under Python 3.13 with the newest ansible-core, where Python 3.13 exists.
# Exits non-zero when any step fails; every step runs, and a summary names the failures.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
./scripts/bootstrap.sh || { echo "bootstrap failed" >&2; exit 1; }
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.tmp/collections"
unset PROXMOX_HOST PROXMOX_PORT PROXMOX_USER PROXMOX_PASSWORD PROXMOX_TOKEN_ID PROXMOX_TOKEN_SECRET
failed=()
step() {
  local name=$1; shift
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then echo "=== $name: passed ($((SECONDS - start)) s)"; else echo "=== $name: FAILED ($((SECONDS - start)) s)"; failed+=("$name"); fi
}
rm -rf tests/output/request-logs
step "pytest (unit, simulator, integration)" \
  .venv/bin/python -m pytest -p no:cacheprovider -q -n 2 --dist loadfile tests/unit tests/simulator tests/integration
step "request logs against the API schema" .venv/bin/python -m pytest -p no:cacheprovider -q tests/request_logs
step "ansible-test sanity (Python 3.11, ansible-core $(.venv/bin/python -c 'import ansible.release as r; print(r.__version__)'))" \
  ./scripts/sanity.sh "$root/.venv" 3.11
if [ -d roles ] && ls roles/*/tasks >/dev/null 2>&1 || ls playbooks/*.yml >/dev/null 2>&1; then
  step "ansible-lint (production profile)" .venv/bin/ansible-lint --profile production --strict roles playbooks
fi
if ls roles/*/molecule/default/molecule.yml >/dev/null 2>&1; then
  step "molecule" ./scripts/molecule.sh
fi
step "ansible-core 2.17 (oldest supported): unit and integration tests" ./scripts/oldest_core.sh
if [ -x "$(./scripts/python313.sh --which 2>/dev/null)" ]; then
  step "Python 3.13, newest ansible-core: sanity, unit and integration tests" ./scripts/python313.sh
fi
echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "ALL STEPS PASSED"
  exit 0
fi
printf 'FAILED: %s\n' "${failed[@]}"
exit 1
