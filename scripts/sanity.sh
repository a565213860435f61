#!/usr/bin/env bash
# ansible-test sanity on the collection: ansible-test wants the collection at .../ansible_collections/jotunheim/proxmox,
# so copy what git knows of the repository (less what is not part of the collection) there and run it.
# Usage: scripts/sanity.sh [VENV_DIR] [PYTHON_VERSION]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$(cd "${1:-$root/.venv}" && pwd)
pyver=${2:-3.11}
dest="$root/.tmp/sanity-$pyver/ansible_collections/jotunheim/proxmox"
# ansible-test bootstraps pip with a script it downloads from a host this network cannot reach: use the offline shim.
shim=""
for cand in "$root/scripts/get_pip_offline.py" "$root/../shared/ci/get_pip_shim.py"; do
  [ -f "$cand" ] && { shim=$cand; break; }
done
mkdir -p "$HOME/.ansible/test/cache"
for v in 24_2 25_2 25_3 26_0; do
  [ -f "$HOME/.ansible/test/cache/get_pip_$v.py" ] || cp "$shim" "$HOME/.ansible/test/cache/get_pip_$v.py"
done
rm -rf "$dest" && mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard -z | grep -zv -E '^(simulator|bench|scripts|\.ci)/' \
  | xargs -0 -I{} cp --parents {} "$dest/" 2>/dev/null || true
cd "$dest"
git init -q . && git add -A >/dev/null
"$venv/bin/ansible-test" sanity --venv --python "$pyver" --color no 2>&1 | grep -v "WARNING: Location" 
