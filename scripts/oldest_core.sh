#!/usr/bin/env bash
# The unit and integration tests again with the oldest supported ansible-core (requirements/ansible217.txt), on the
# project's Python, in .venv/ansible217 (created on first use): templating and module API differences show here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.venv/ansible217"
# shellcheck source=scripts/venv_env.sh
. "$root/scripts/venv_env.sh"
ensure_venv "$venv" "$("$root/.venv/bin/python" -c 'import sys; print(sys._base_executable)')" requirements/ansible217.txt
"$venv/bin/python" -c 'import ansible.release as r; assert r.__version__.startswith("2.17."), r.__version__'
export PATH="$venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.tmp/collections"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -n 2 --dist loadfile tests/unit tests/integration -m "matrix and not slow"
