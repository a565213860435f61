#!/usr/bin/env bash
# Create (or refresh) the project's .venv from the project's own pinned requirement files, install the simulator
# package into it, and expose the repository as the collection jotunheim.proxmox under .tmp/collections.
# Safe to run again: it only reinstalls when a requirement file changed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py=${PYTHON:-python3.11}
command -v "$py" >/dev/null 2>&1 || py=python3
# shellcheck source=scripts/venv_env.sh
. "$root/scripts/venv_env.sh"
ensure_venv "$root/.venv" "$py" requirements/dev.txt requirements/runtime.txt
# The collection as Ansible looks for it: ansible_collections/<namespace>/<name>
mkdir -p .tmp/collections/ansible_collections/jotunheim
ln -sfn "$root" .tmp/collections/ansible_collections/jotunheim/proxmox
