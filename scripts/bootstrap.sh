#!/usr/bin/env bash
# Create (or refresh) the project's .venv from the project's own pinned requirement files, install the simulator
# package into it, and expose the repository as the collection jotunheim.proxmox under .tmp/collections.
# Safe to run again: it only reinstalls when a requirement file changed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py=${PYTHON:-python3.11}
command -v "$py" >/dev/null 2>&1 || py=python3
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(cat requirements/dev.txt requirements/runtime.txt simulator/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing the project's tools into .venv (first run takes a few minutes)" >&2
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -r requirements/runtime.txt 2>&1 | { grep -v "WARNING: Location" || true; }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e simulator 2>&1 | { grep -v "WARNING: Location" || true; }
  echo "$want" > "$stamp"
fi
# The collection as Ansible looks for it: ansible_collections/<namespace>/<name>
mkdir -p .tmp/collections/ansible_collections/jotunheim
ln -sfn "$root" .tmp/collections/ansible_collections/jotunheim/proxmox
