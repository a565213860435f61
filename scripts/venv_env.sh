# Sourced by scripts/bootstrap.sh, scripts/python313.sh and scripts/oldest_core.sh (bash, from the repository root,
# with pipefail): ensure_venv VENV PYTHON REQUIREMENT_FILE... creates VENV with PYTHON when it is missing, then
# installs the requirement files and the simulator package into it - only when one of them changed since the last
# install (their hash is kept in VENV/.requirements.sha256). A failed install fails the call and is not recorded.
ensure_venv() {
  local venv=$1 py=$2
  shift 2
  local stamp="$venv/.requirements.sha256" want req
  local args=()
  want=$(cat "$@" simulator/pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "installing $* into ${venv#"$PWD"/} (the first time takes a few minutes)" >&2
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv" || return 1
  for req in "$@"; do args+=(-r "$req"); done
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" 2>&1 \
    | { grep -v "WARNING: Location" || true; } || return 1
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e simulator 2>&1 \
    | { grep -v "WARNING: Location" || true; } || return 1
  echo "$want" > "$stamp"
}
