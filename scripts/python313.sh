#!/usr/bin/env bash
# Sanity and the pytest suites again under Python 3.13 with the newest ansible-core (requirements/py313.txt),
# in .venv/py313 (created on first use). `--which` prints the Python 3.13 it would use (nothing when there is none).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=""
for cand in "${PYTHON313:-}" "$(command -v python3.13 2>/dev/null || true)" "$HOME/.pyenv/versions/3.13.0/bin/python3.13" \
            /usr/bin/python3.13 /usr/local/bin/python3.13; do
  # (a pyenv shim exists even where it cannot run: ask the interpreter itself)
  if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
    py=$cand; break
  fi
done
if [ "${1:-}" = "--which" ]; then echo "$py"; exit 0; fi
[ -n "$py" ] || { echo "no Python 3.13 here: skipped" >&2; exit 0; }
cd "$root"
venv="$root/.venv/py313"
# shellcheck source=scripts/venv_env.sh
. "$root/scripts/venv_env.sh"
ensure_venv "$venv" "$py" requirements/py313.txt
export PATH="$venv/bin:$PATH"
rc=0
"$venv/bin/python" -m pytest -p no:cacheprovider -q -n 2 --dist loadfile tests/unit tests/simulator tests/integration -m "matrix and not slow" || rc=1
./scripts/sanity.sh "$venv" 3.13 || rc=1
exit $rc
