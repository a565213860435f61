#!/usr/bin/env bash
# The unit and integration tests again with the oldest supported ansible-core (requirements/ansible217.txt), on the
# project's Python, in .venv/ansible217 (created on first use): templating and module API differences show here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"
venv="$root/.venv/ansible217"
stamp="$venv/.requirements.sha256"
want=$(cat requirements/ansible217.txt simulator/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  [ -x "$venv/bin/python" ] || "$("$py" -c 'import sys; print(sys._base_executable)')" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/ansible217.txt 2>&1 | grep -v "WARNING: Location" || true
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e simulator 2>&1 | grep -v "WARNING: Location" || true
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import ansible.release as r; assert r.__version__.startswith("2.17."), r.__version__'
export PATH="$venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.tmp/collections"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -n 2 --dist loadfile tests/unit tests/integration -m "not slow"
