# Sourced by scripts/demo.sh and scripts/molecule.sh (bash): start_simulator WORKDIR RELEASE SPEED [pvesim args]
# starts `python -m pvesim` on 127.0.0.1 (a free port) in the background, waits for its --info file, exports the
# connection as the PROXMOX_* environment variables the modules read, and arranges for the simulator to be stopped
# when the calling script exits. The simulator's PID is in $PVESIM_PID.
start_simulator() {
  local work=$1 release=$2 speed=$3
  shift 3
  mkdir -p "$work"
  rm -f "$work/info.json"
  PYTHONPATH="$root/simulator${PYTHONPATH:+:$PYTHONPATH}" "$PVESIM_PYTHON" -m pvesim --port 0 --bind 127.0.0.1 --pve "$release" --speed "$speed" \
    --info "$work/info.json" --request-log "$work/requests.jsonl" "$@" >"$work/pvesim.out" 2>&1 &
  PVESIM_PID=$!
  trap 'kill "$PVESIM_PID" 2>/dev/null; wait "$PVESIM_PID" 2>/dev/null || true' EXIT
  local _
  for _ in $(seq 1 300); do
    [ -s "$work/info.json" ] && break
    kill -0 "$PVESIM_PID" 2>/dev/null || { cat "$work/pvesim.out" >&2; return 1; }
    sleep 0.1
  done
  [ -s "$work/info.json" ] || { echo "the simulator did not start" >&2; return 1; }
  eval "$("$PVESIM_PYTHON" - "$work/info.json" <<'PY'
import json, shlex, sys
info = json.load(open(sys.argv[1]))
env = {"PROXMOX_HOST": info["host"], "PROXMOX_PORT": info["port"], "PROXMOX_CA_PATH": info["ca_cert"],
       "PROXMOX_VALIDATE_CERTS": "true", "PROXMOX_TOKEN_ID": info["token_id"],
       "PROXMOX_TOKEN_SECRET": info["token_secret"]}
for key, value in env.items():
    print("export %s=%s" % (key, shlex.quote(str(value))))
PY
)"
}
